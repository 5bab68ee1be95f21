import { XmlShapeDeserializer } from '@aws-sdk/core/protocols';
import { JsonCodec2 } from '@smithy/core/protocols';
import type { ServiceName } from '../errors';
import { scalar } from './query-codec';
import { type OperationSchema, operationsOf } from './schemas';

/**
 * restXml (Route 53) and restJson1 (EventBridge Scheduler): finds the operation whose `http` trait
 * matches the method and path, then reads its input from where the schema binds each member:
 * `httpLabel` from the path, `httpQuery` from the query string, `httpHeader` from a header, the
 * rest from the body (XML read by the SDK's own XmlShapeDeserializer, JSON by its JSON codec with
 * `jsonName`, against the input schema).
 */
export async function decodeRest(
  service: ServiceName,
  format: 'xml' | 'json',
  method: string,
  url: URL,
  headers: Record<string, string | string[] | undefined>,
  body: Uint8Array,
): Promise<{ operation: OperationSchema; input: Record<string, unknown> } | undefined> {
  for (const operation of operationsOf(service)) {
    if (!operation.http || operation.http[0] !== method) continue;
    const labels = matchPath(operation.http[1], url);
    if (!labels) continue;
    const input: Record<string, unknown> = {};
    if (body.byteLength > 0 && format === 'xml') {
      const deserializer = new XmlShapeDeserializer({ timestampFormat: { useTrait: true, default: 5 }, httpBindings: true } as never);
      Object.assign(input, deserializer.read(operation.input, body));
    } else if (body.byteLength > 0) {
      const read = await restJsonCodec.createDeserializer().read(operation.input, Buffer.from(body).toString('utf8'));
      Object.assign(input, read ?? {});
    }
    for (const [name, member] of operation.input.structIterator()) {
      const traits = member.getMergedTraits();
      if (traits.httpLabel && labels[name] !== undefined) input[name] = scalar(member, labels[name]!);
      else if (typeof traits.httpQuery === 'string' && url.searchParams.has(traits.httpQuery)) {
        input[name] = member.isListSchema()
          ? url.searchParams.getAll(traits.httpQuery).map((v) => scalar(member.getValueSchema(), v))
          : scalar(member, url.searchParams.get(traits.httpQuery)!);
      } else if (typeof traits.httpHeader === 'string' && headers[traits.httpHeader.toLowerCase()] !== undefined) {
        input[name] = scalar(member, String(headers[traits.httpHeader.toLowerCase()]));
      }
    }
    return { operation, input };
  }
  return undefined;
}

/** `/2013-04-01/hostedzone/{Id}/rrset` against a request path: the labels, or undefined. */
function matchPath(pattern: string, url: URL): Record<string, string> | undefined {
  const [path, query] = pattern.split('?');
  const names: string[] = [];
  const regex = new RegExp(
    `^${path!.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)(\\\+)?\}/g, (_m, name: string, greedy?: string) => {
      names.push(name);
      return greedy ? '(.+)' : '([^/]+)';
    })}$`,
  );
  const m = regex.exec(url.pathname);
  if (!m) return undefined;
  // A literal query in the pattern (`?delete`) must be present too.
  for (const part of (query ?? '').split('&').filter(Boolean)) {
    const [k, v] = part.split('=');
    if (!url.searchParams.has(k!) || (v !== undefined && url.searchParams.get(k!) !== v)) return undefined;
  }
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
}

const jsonCodec = new JsonCodec2({ timestampFormat: { useTrait: true, default: 7 }, jsonName: false });
/** restJson1 names members by their `jsonName` trait and writes timestamps as epoch seconds. */
const restJsonCodec = new JsonCodec2({ timestampFormat: { useTrait: true, default: 7 }, jsonName: true });

/** restJson1: the output members not bound to headers or the status code, as the JSON body. */
export function encodeRestJson(operation: OperationSchema, output: Record<string, unknown>): { body: Uint8Array | string; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  const body: Record<string, unknown> = {};
  if (!operation.output.isStructSchema()) return { body: '{}', headers };
  for (const [name, member] of operation.output.structIterator()) {
    const traits = member.getMergedTraits();
    if (output[name] === undefined || output[name] === null) continue;
    if (typeof traits.httpHeader === 'string') headers[traits.httpHeader] = String(output[name]);
    else if (!traits.httpResponseCode) body[name] = output[name];
  }
  const serializer = restJsonCodec.createSerializer();
  serializer.write(operation.output, body);
  return { body: serializer.flush(), headers };
}

/** awsJson1_1 (SSM): the input from the JSON body, read with the SDK's JSON codec. */
export async function decodeJson(operation: OperationSchema, body: Uint8Array): Promise<Record<string, unknown>> {
  if (body.byteLength === 0) return {};
  return ((await jsonCodec.createDeserializer().read(operation.input, Buffer.from(body).toString('utf8'))) ?? {}) as Record<string, unknown>;
}

/** awsJson1_1: the output as the JSON body the SDK's JSON codec reads. */
export function encodeJson(operation: OperationSchema, output: Record<string, unknown>): Uint8Array | string {
  if (operation.output.isUnitSchema()) return '{}';
  const serializer = jsonCodec.createSerializer();
  serializer.write(operation.output, output);
  return serializer.flush();
}
