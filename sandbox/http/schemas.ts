import * as ec2 from '@aws-sdk/client-ec2';
import * as elb from '@aws-sdk/client-elastic-load-balancing';
import * as health from '@aws-sdk/client-health';
import * as elbv2 from '@aws-sdk/client-elastic-load-balancing-v2';
import * as route53 from '@aws-sdk/client-route-53';
import * as scheduler from '@aws-sdk/client-scheduler';
import * as sns from '@aws-sdk/client-sns';
import * as ssm from '@aws-sdk/client-ssm';
import { NormalizedSchema } from '@smithy/core/schema';
import type { ServiceName } from '../errors';

/**
 * The SDK 3.1169 clients are schema-based: every operation is a static schema
 * (`[9, namespace, name, traits, input, output]`) exported next to its command as `<Name>$`. The
 * HTTP front reads requests and writes responses from these, so it speaks exactly what the
 * clients (and the bundled functions) speak, for every operation, without a hand-written codec.
 */
export interface OperationSchema {
  name: string;
  /** restXml only: `[method, path pattern, status]` from the `http` trait. */
  http?: [string, string, number];
  input: NormalizedSchema;
  output: NormalizedSchema;
}

export type Protocol = 'ec2Query' | 'awsQuery' | 'restXml' | 'awsJson1_1' | 'restJson1';

/** Each service as its client is configured (runtimeConfig.shared.js of each package). */
export const SERVICES: Record<ServiceName, { protocol: Protocol; xmlNamespace: string; version: string; targetPrefix?: string }> = {
  ec2: { protocol: 'ec2Query', xmlNamespace: 'http://ec2.amazonaws.com/doc/2016-11-15/', version: '2016-11-15' },
  sns: { protocol: 'awsQuery', xmlNamespace: 'http://sns.amazonaws.com/doc/2010-03-31/', version: '2010-03-31' },
  route53: { protocol: 'restXml', xmlNamespace: 'https://route53.amazonaws.com/doc/2013-04-01/', version: '2013-04-01' },
  ssm: { protocol: 'awsJson1_1', xmlNamespace: '', version: '2014-11-06', targetPrefix: 'AmazonSSM' },
  scheduler: { protocol: 'restJson1', xmlNamespace: '', version: '2021-06-30' },
  // Both ELB APIs sign as `elasticloadbalancing`; the request's Version tells them apart.
  elbv2: { protocol: 'awsQuery', xmlNamespace: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/', version: '2015-12-01' },
  elb: { protocol: 'awsQuery', xmlNamespace: 'http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/', version: '2012-06-01' },
  health: { protocol: 'awsJson1_1', xmlNamespace: '', version: '2016-08-04', targetPrefix: 'AWSHealth_20160804' },
};

const MODULES: Record<ServiceName, Record<string, unknown>> = { ec2, route53, sns, ssm, scheduler, elbv2, elb, health };
const cache = new Map<string, OperationSchema | null>();

/** The schema of `service:operation`, or undefined when the SDK has no such operation. */
export function operationSchema(service: ServiceName, operation: string): OperationSchema | undefined {
  const key = `${service}:${operation}`;
  if (!cache.has(key)) {
    const raw = MODULES[service][`${operation}$`] as unknown[] | undefined;
    cache.set(key, Array.isArray(raw) && raw[0] === 9 ? toOperation(raw) : null);
  }
  return cache.get(key) ?? undefined;
}

/** Every operation of a service (restXml routing matches a request against their `http` traits). */
export function operationsOf(service: ServiceName): OperationSchema[] {
  return Object.keys(MODULES[service])
    .filter((k) => k.endsWith('$'))
    .map((k) => operationSchema(service, k.slice(0, -1)))
    .filter((op): op is OperationSchema => op !== undefined);
}

function toOperation(raw: unknown[]): OperationSchema {
  const traits = (raw[3] ?? {}) as { http?: [string, string, number] };
  return {
    name: raw[2] as string,
    ...(traits.http ? { http: traits.http } : {}),
    input: NormalizedSchema.of(raw[4] as never),
    output: NormalizedSchema.of(raw[5] as never),
  };
}

/** Members a structure requires (static schemas list them first and count them at index 6). */
export function requiredMembers(ns: NormalizedSchema): string[] {
  const raw = ns.getSchema() as unknown;
  if (!Array.isArray(raw) || raw[0] !== 3) return [];
  const names = raw[4] as string[];
  const count = typeof raw[6] === 'number' ? raw[6] : 0;
  return names.slice(0, count);
}
