import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SandboxAccount } from '../account';
import type { ServiceName } from '../errors';
import { decodeQuery } from './query-codec';
import { decodeJson, decodeRest, encodeJson, encodeRestJson } from './rest-json-codec';
import { type OperationSchema, operationSchema, type Protocol, requiredMembers, SERVICES } from './schemas';
import { encodeXmlError, encodeXmlOutput } from './xml-codec';

export interface SandboxServer {
  /** `http://127.0.0.1:PORT`: give it to a process as `AWS_ENDPOINT_URL`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What a request that AWS would refuse before reaching the service gets, per protocol. */
class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * Serves the sandbox account over real HTTP, so a process that knows nothing of the sandbox (a
 * bundled Lambda handler with `AWS_ENDPOINT_URL=http://127.0.0.1:PORT`) talks to it through the
 * SDK's own serializers, signing, retries and deserializers. Requests are decoded and responses
 * encoded from the SDK's operation schemas (see ./schemas.ts) for all four protocols the functions
 * use: EC2 `ec2Query`, SNS `awsQuery`, Route 53 `restXml`, SSM `awsJson1_1`, EventBridge Scheduler
 * `restJson1`; errors come back as
 * each protocol's error document with the HTTP status the sandbox model gave them (503 for
 * `RequestLimitExceeded`, so the SDK classifies and retries them as it does AWS's).
 *
 * @example
 * const server = await serveSandbox(sandbox);
 * spawn('node', ['runner.mjs'], { env: { AWS_ENDPOINT_URL: server.url } });
 */
export async function serveSandbox(sandbox: SandboxAccount, options: { port?: number } = {}): Promise<SandboxServer> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    void handle(sandbox, req, res, `sandbox-http-${requests}`);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(sandbox: SandboxAccount, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = new Uint8Array(Buffer.concat(chunks));
  let service: ServiceName | undefined;
  try {
    service = serviceOf(req, body);
    const region = regionOf(req);
    const { protocol } = SERVICES[service];
    const { operation, input } = await decodeRequest(service, protocol, req, body);
    const missing = requiredMembers(operation.input).filter((m) => input[m] === undefined);
    if (missing.length > 0) throw missingParameter(service, missing[0]!);
    const output = await sandbox.handle(service, operation.name, input, region);
    send(res, 200, ...encodeOutput(service, operation, output, requestId));
  } catch (error) {
    const e = error as { name?: string; message?: string; code?: string; status?: number; $metadata?: { httpStatusCode?: number } };
    const code = error instanceof ProtocolError ? error.code : (e.name ?? 'InternalError');
    const status = error instanceof ProtocolError ? error.status : (e.$metadata?.httpStatusCode ?? 500);
    const protocol = SERVICES[service ?? 'ec2'].protocol;
    if (protocol === 'awsJson1_1' || protocol === 'restJson1') {
      const type = protocol === 'awsJson1_1' ? 'application/x-amz-json-1.1' : 'application/json';
      send(res, status, JSON.stringify({ __type: code, message: e.message ?? '' }), { 'content-type': type, 'x-amzn-errortype': code });
    } else {
      send(res, status, encodeXmlError(protocol, code, e.message ?? '', status, requestId), { 'content-type': 'text/xml' });
    }
  }
}

/** The Region a request is for: the one in its SigV4 credential scope (the endpoint is the same for all here). */
function regionOf(req: IncomingMessage): string {
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization ?? ''));
  if (!scope?.[1]) throw new ProtocolError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  return scope[1];
}

/** The service a request is for: the signing name in its SigV4 credential scope, as AWS reads it. */
function serviceOf(req: IncomingMessage, body: Uint8Array): ServiceName {
  const auth = String(req.headers.authorization ?? '');
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth);
  if (!scope) throw new ProtocolError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  if (scope[1] === 'elasticloadbalancing') {
    // Application/Network (2015-12-01) and Classic (2012-06-01) Load Balancing share a signing name.
    const version = new URLSearchParams(Buffer.from(body).toString('utf8')).get('Version');
    return version === SERVICES.elb.version ? 'elb' : 'elbv2';
  }
  const name = scope[1] as ServiceName;
  if (!(name in SERVICES)) throw new ProtocolError('UnrecognizedClientException', `The sandbox does not serve ${name}`, 400);
  return name;
}

async function decodeRequest(
  service: ServiceName,
  protocol: Protocol,
  req: IncomingMessage,
  body: Uint8Array,
): Promise<{ operation: OperationSchema; input: Record<string, unknown> }> {
  if (protocol === 'ec2Query' || protocol === 'awsQuery') {
    const text = Buffer.from(body).toString('utf8');
    const action = new URLSearchParams(text).get('Action') ?? '';
    const operation = operationSchema(service, action);
    if (!operation) throw new ProtocolError('InvalidAction', `The action ${action} is not valid for this web service.`);
    const decoded = decodeQuery(operation.input, text, protocol === 'ec2Query');
    if (decoded.version !== SERVICES[service].version) throw new ProtocolError('InvalidParameterValue', `Invalid API version ${decoded.version}`);
    return { operation, input: decoded.input };
  }
  if (protocol === 'restXml' || protocol === 'restJson1') {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const found = await decodeRest(service, protocol === 'restXml' ? 'xml' : 'json', req.method ?? 'GET', url, req.headers, body);
    if (!found) throw new ProtocolError('UnknownOperationException', `No operation at ${req.method} ${url.pathname}`, 404);
    return found;
  }
  const target = String(req.headers['x-amz-target'] ?? '');
  const [prefix, action] = target.split('.');
  const operation = prefix === SERVICES[service].targetPrefix && action ? operationSchema(service, action) : undefined;
  if (!operation) throw new ProtocolError('UnknownOperationException', `Unknown operation ${target}`);
  return { operation, input: await decodeJson(operation, body) };
}

function encodeOutput(service: ServiceName, operation: OperationSchema, output: Record<string, unknown>, requestId: string): [string | Uint8Array, Record<string, string>] {
  const { protocol, xmlNamespace } = SERVICES[service];
  if (protocol === 'awsJson1_1') return [encodeJson(operation, output), { 'content-type': 'application/x-amz-json-1.1' }];
  if (protocol === 'restJson1') {
    const { body, headers } = encodeRestJson(operation, output);
    return [body, { 'content-type': 'application/json', ...headers }];
  }
  const { body, headers } = encodeXmlOutput(protocol, operation.name, operation.output, output, xmlNamespace, requestId);
  return [body, { 'content-type': 'text/xml', ...headers }];
}

/** A required member left out: refused before the service looks at it, as each API words it. */
function missingParameter(service: ServiceName, member: string): ProtocolError {
  switch (service) {
    case 'ec2':
      return new ProtocolError('MissingParameter', `The request must contain the parameter ${member}`);
    case 'sns':
      return new ProtocolError('InvalidParameter', `Invalid parameter: ${member}`);
    case 'elbv2':
    case 'elb':
      return new ProtocolError('ValidationError', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
    case 'route53':
      return new ProtocolError('InvalidInput', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
    case 'ssm':
    case 'scheduler':
    case 'health':
      return new ProtocolError('ValidationException', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
}

function send(res: ServerResponse, status: number, body: string | Uint8Array, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'x-amzn-requestid': 'sandbox', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
