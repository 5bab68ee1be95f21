// Runs one bundled handler the way the Lambda Node.js runtime does, in this fresh process:
// import the .mjs, call `handler(event, context)` once with a context whose
// getRemainingTimeInMillis counts down, stop the invocation at its timeout, JSON.stringify the
// response and refuse it above Lambda's 6 MB response limit
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), and report the
// process's peak RSS (Lambda's memory is the whole process, not the heap).
//
// Usage: node runner.mjs <handler.mjs> <invocation.json> <result.json>
//   invocation.json: { event, functionName, timeoutMs, memoryMb, handlerName? }
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const RESPONSE_MAX_BYTES = 6 * 1024 * 1024;
const [entry, invocationFile, resultFile] = process.argv.slice(2);
const invocation = JSON.parse(readFileSync(invocationFile, 'utf8'));
let started = Date.now();
let finished = false;

// Where the memory was when RSS peaked (heap, off-heap buffers), sampled: tells a big heap from
// allocator overhead. The peak itself is getrusage's, which misses nothing between samples.
const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
let atPeak = { rss: 0 };
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss > atPeak.rss) atPeak = m;
}, 25);
sampler.unref();

function finish(result) {
  if (finished) return;
  finished = true;
  const peakRssMb = mb(process.resourceUsage().maxRSS * 1024);
  const memoryAtPeak = { rssMb: mb(atPeak.rss), heapTotalMb: mb(atPeak.heapTotal ?? 0), heapUsedMb: mb(atPeak.heapUsed ?? 0), externalMb: mb(atPeak.external ?? 0), arrayBuffersMb: mb(atPeak.arrayBuffers ?? 0) };
  writeFileSync(resultFile, JSON.stringify({ ...result, peakRssMb, memoryAtPeak, durationMs: Date.now() - started }));
  // Writes to a pipe are asynchronous: let the function's last log lines out before exiting.
  process.stdout.write('', () => process.exit(0));
}

let timeout;
try {
  // Init (the module's import) is not part of the invocation's timeout, as in Lambda.
  const mod = await import(pathToFileURL(entry).href);
  const handler = mod[invocation.handlerName ?? 'handler'];
  if (typeof handler !== 'function') throw Object.assign(new Error(`${entry} does not export ${invocation.handlerName ?? 'handler'}`), { name: 'Runtime.HandlerNotFound' });
  started = Date.now();
  timeout = setTimeout(
    () => finish({ status: 'error', errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${(invocation.timeoutMs / 1000).toFixed(2)} seconds` }),
    invocation.timeoutMs,
  );
  const deadline = started + invocation.timeoutMs;
  const context = {
    functionName: invocation.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${invocation.functionName}`,
    memoryLimitInMB: String(invocation.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${invocation.functionName}`,
    logStreamName: 'contract',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const response = await handler(invocation.event, context);
  clearTimeout(timeout);
  const payload = JSON.stringify(response) ?? 'null';
  const responseBytes = Buffer.byteLength(payload);
  if (responseBytes > RESPONSE_MAX_BYTES) {
    finish({ status: 'error', errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size (${responseBytes} bytes) exceeded maximum allowed payload size (${RESPONSE_MAX_BYTES} bytes).`, responseBytes });
  } else {
    finish({ status: 'ok', response: JSON.parse(payload), responseBytes });
  }
} catch (error) {
  clearTimeout(timeout);
  // The runtime reports a thrown error by its `name` (errorType) and message.
  finish({ status: 'error', errorType: error?.name ?? typeof error, errorMessage: String(error?.message ?? error) });
}
