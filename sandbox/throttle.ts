import type { ServiceName } from './errors';

/** A token bucket as AWS documents them: `capacity` burst, `refillPerSecond` steady rate. */
export interface BucketSpec {
  key: string;
  capacity: number;
  refillPerSecond: number;
}

/**
 * AWS's request-rate buckets (GUIDE §3, from the EC2 and Route 53 docs). EC2 has one bucket per
 * API and Region; Describe* calls with filters or ids are cheaper than unfiltered ones.
 */
export function bucketFor(service: ServiceName, operation: string, input: Record<string, unknown>): BucketSpec | undefined {
  if (service === 'route53') return { key: 'route53', capacity: 50, refillPerSecond: 10 };
  if (service !== 'ec2') return undefined;
  switch (operation) {
    case 'CreateSnapshot':
    case 'CreateSnapshots':
    case 'DeleteSnapshot':
      return { key: operation, capacity: 100, refillPerSecond: 5 };
    case 'CreateTags':
      return { key: operation, capacity: 100, refillPerSecond: 10 };
    case 'RunInstances':
      return { key: operation, capacity: 5, refillPerSecond: 2 };
  }
  if (operation.startsWith('Describe')) {
    const filtered = Object.entries(input).some(
      ([k, v]) => (k === 'Filters' || k.endsWith('Ids') || k === 'Owners' || k === 'PublicIps') && Array.isArray(v) && v.length > 0,
    );
    return filtered
      ? { key: operation, capacity: 100, refillPerSecond: 20 }
      : { key: `${operation}:unfiltered`, capacity: 50, refillPerSecond: 10 };
  }
  return { key: operation, capacity: 50, refillPerSecond: 5 };
}

export class TokenBuckets {
  private readonly state = new Map<string, { tokens: number; at: number }>();

  /** Takes one token at `nowMs`; false means AWS would answer with a throttling error. */
  take(spec: BucketSpec, nowMs: number): boolean {
    const s = this.state.get(spec.key) ?? { tokens: spec.capacity, at: nowMs };
    s.tokens = Math.min(spec.capacity, s.tokens + ((nowMs - s.at) / 1000) * spec.refillPerSecond);
    s.at = nowMs;
    const ok = s.tokens >= 1;
    if (ok) s.tokens -= 1;
    this.state.set(spec.key, s);
    return ok;
  }
}
