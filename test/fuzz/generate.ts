import { seededRandom } from '../../sandbox/faults';

/** Seeded generators of hostile inputs: random JSON and mutations of valid documents. */
export class Fuzzer {
  readonly random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  scalar(): unknown {
    return this.pick([
      () => null,
      () => undefined,
      () => this.random() < 0.5,
      () => this.int(2_000_000) - 1_000_000,
      () => this.random() * 1e6,
      () => -1,
      () => 0,
      () => Number.MAX_SAFE_INTEGER,
      () => '',
      () => 'x'.repeat(this.int(300)),
      () => 'i-0123456789abcdef0',
      () => 'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0',
      () => '2026-11-22T03:00:00Z',
      () => 'Sat, 21 Nov 2026 12:00:00 GMT',
      () => 'rate(1 day)',
      () => '\u0000\u202e💥',
      () => '__proto__',
    ])();
  }

  /** Any JSON-ish value, nested up to `depth`. */
  value(depth = 3): unknown {
    const r = this.random();
    if (depth <= 0 || r < 0.4) return this.scalar();
    if (r < 0.7) return Array.from({ length: this.int(4) }, () => this.value(depth - 1));
    const keys = ['policy', 'time', 'dryRun', 'name', 'schedule', 'selector', 'tags', 'retain', 'snapshot', 'prune', 'detail', 'resources', 'x'];
    return Object.fromEntries(Array.from({ length: this.int(5) }, () => [this.pick(keys), this.value(depth - 1)]));
  }

  /** A copy of `doc` with one random change: a field removed, retyped, renamed or added. */
  mutate(doc: unknown): unknown {
    const copy = structuredClone(doc) as Record<string, unknown>;
    const paths: Array<[Record<string, unknown> | unknown[], string | number]> = [];
    const walk = (node: unknown) => {
      if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          paths.push([node as Record<string, unknown>, Array.isArray(node) ? Number(k) : k]);
          walk(v);
        }
      }
    };
    walk(copy);
    if (paths.length === 0) return this.value();
    const [parent, key] = this.pick(paths);
    const op = this.int(4);
    const p = parent as Record<string | number, unknown>;
    if (op === 0) delete p[key];
    else if (op === 1) p[key] = this.scalar();
    else if (op === 2) p[key] = this.value(2);
    else if (typeof key === 'string') {
      p[`${key}${this.pick(['s', '_', 'X', ''])}${this.int(3)}`] = p[key];
      delete p[key];
    }
    return copy;
  }
}
