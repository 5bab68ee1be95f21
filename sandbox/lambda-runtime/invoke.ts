import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxAccount } from '../account';

const HERE = import.meta.dirname;

export interface BundledInvocation {
  /** The unzipped handler (`functions/prune-snapshots.mjs`). */
  entry: string;
  functionName: string;
  event: unknown;
  /** The function's timeout, in AWS milliseconds (serverless.yml). */
  timeoutMs: number;
  memoryMb?: number;
  /** Where the sandbox is served (`serveSandbox(...).url`). */
  endpoint: string;
  /** The config document the function reads (CARETAKER_CONFIG). */
  configFile: string;
  alertTopicArn: string;
  /**
   * Run the process's clock on `sandbox`'s: its date, and its `timeScale` (a scale above 1 runs
   * the handler's clock, timers and budget that many times faster). Leave out for real time.
   */
  clock?: SandboxAccount;
  /** Extra `node` flags (e.g. a heap cap). */
  nodeArgs?: string[];
}

export interface BundledResult {
  status: 'ok' | 'error';
  response?: Record<string, unknown>;
  /** Bytes of the JSON response as Lambda would post it. */
  responseBytes?: number;
  /** The runtime's `errorType` (the thrown error's `name`) and `errorMessage`. */
  errorType?: string;
  errorMessage?: string;
  /** Peak RSS of the whole handler process (getrusage maxRSS), MB. */
  peakRssMb: number;
  /** process.memoryUsage() at the highest sampled RSS, MB: heap versus off-heap. */
  memoryAtPeak?: { rssMb: number; heapTotalMb: number; heapUsedMb: number; externalMb: number; arrayBuffersMb: number };
  durationMs: number;
  /** What the function wrote to stdout (its structured log), one entry per line. */
  logs: string[];
  stderr: string;
}

/**
 * Invokes a bundled handler once, in a fresh Node process that knows nothing of the sandbox but
 * its endpoint: the environment is what Lambda sets (plus `AWS_ENDPOINT_URL`), with static
 * credentials and nothing inherited from the developer's shell (no profile, no real account).
 */
export async function invokeBundled(inv: BundledInvocation): Promise<BundledResult> {
  const dir = mkdtempSync(join(tmpdir(), 'caretaker-invoke-'));
  const invocationFile = join(dir, 'invocation.json');
  const resultFile = join(dir, 'result.json');
  writeFileSync(invocationFile, JSON.stringify({ event: inv.event, functionName: inv.functionName, timeoutMs: inv.timeoutMs, memoryMb: inv.memoryMb ?? 256 }));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    TZ: 'UTC',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'SANDBOX',
    AWS_SECRET_ACCESS_KEY: 'SANDBOX',
    AWS_ENDPOINT_URL: inv.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: inv.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(inv.memoryMb ?? 256),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: join(inv.entry, '..', '..'),
    CARETAKER_CONFIG: inv.configFile,
    ALERT_TOPIC_ARN: inv.alertTopicArn,
    POWERTOOLS_SERVICE_NAME: 'ec2-caretaker',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const args = [...lambdaNodeArgs(inv.memoryMb ?? 256), ...(inv.nodeArgs ?? [])];
  if (inv.clock) {
    if (!(inv.clock.clock.scale > 0)) throw new Error('a handler process cannot follow a frozen sandbox clock (timeScale 0)');
    env.CARETAKER_TIME = `${inv.clock.clock.nowMs()},${Date.now()},${inv.clock.clock.scale}`;
    args.push('--import', join(HERE, 'scaled-time.mjs'));
  }
  args.push(join(HERE, 'runner.mjs'), inv.entry, invocationFile, resultFile);
  const child = spawn(process.execPath, args, { cwd: join(inv.entry, '..', '..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  let result: Omit<BundledResult, 'logs' | 'stderr'>;
  try {
    result = JSON.parse(readFileSync(resultFile, 'utf8'));
  } catch {
    // No result: the process died (out of memory, crash), as Lambda's Runtime.ExitError.
    result = { status: 'error', errorType: 'Runtime.ExitError', errorMessage: `exit ${code}: ${stderr.slice(-2000)}`, peakRssMb: 0, durationMs: 0 };
  }
  return { ...result, logs: stdout.split('\n').filter(Boolean), stderr };
}

/**
 * The flags the Lambda Node.js runtime starts `node` with for a function of `memoryMb`: its
 * bootstrap (/var/runtime/bootstrap of the nodejs base images) gives a tenth of the memory to the
 * young generation (half of that per semi-space) and the rest to the old one.
 */
export function lambdaNodeArgs(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return ['--expose-gc', '--max-http-header-size', '81920', `--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

/** The structured log lines of a run that carry `message` (Powertools writes one JSON per line). */
export function logEvents(result: Pick<BundledResult, 'logs'>, message: string): Array<Record<string, unknown>> {
  return result.logs.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      return parsed.message === message ? [parsed] : [];
    } catch {
      return [];
    }
  });
}
