import type { ServiceName } from './errors';

/** An injected failure: AWS error `code` on matching calls with `probability`, at most `times`. */
export interface FaultRule {
  service?: ServiceName;
  /** Operation name (`DeleteSnapshot`) or a pattern (`/^Describe/`). */
  operation?: string | RegExp;
  /** Extra condition on the input (e.g. only one volume). */
  when?(input: Record<string, unknown>): boolean;
  code: string;
  message?: string;
  httpStatusCode?: number;
  probability?: number;
  times?: number;
}

/** Deterministic PRNG (mulberry32) so a seeded fault run repeats exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private readonly rules: Array<FaultRule & { used: number }> = [];

  constructor(private readonly random: () => number) {}

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, used: 0 });
  }

  clear(): void {
    this.rules.length = 0;
  }

  /** The rule that fires for this call, if any. */
  pick(service: ServiceName, operation: string, input: Record<string, unknown>): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.service && rule.service !== service) continue;
      if (rule.operation instanceof RegExp ? !rule.operation.test(operation) : rule.operation && rule.operation !== operation) continue;
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      if (rule.when && !rule.when(input)) continue;
      if (this.random() >= (rule.probability ?? 1)) continue;
      rule.used++;
      return rule;
    }
    return undefined;
  }
}
