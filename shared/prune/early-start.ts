import { createHash } from 'node:crypto';
import type { ContinuationChain } from './continuation';
import type { PruneRunConfig } from './run-prune';
import type { VolumeRule } from './config';

/**
 * Volumes by the last two characters of their id, one DescribeSnapshots query per group of four
 * endings (`volume-id` = `vol-*00`, `vol-*40`, `vol-*80`, `vol-*c0`, …): 64 queries. Volume ids
 * are `vol-` and hexadecimal digits, so together they read every snapshot the single query reads,
 * and each reads *all* snapshots of its volumes: once a query's last page is in, its volumes are
 * complete and may be planned while the others are still read. 64 groups of ~1/64 of the account
 * each: the first deletions start after a page or two, not after the whole account.
 * EC2 filter values take `*` and `?` wildcards, a filter's values are ORed and filters are ANDed
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Filtering.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Filter.html). A snapshot whose
 * volume id ends otherwise is read by none of them: it is not planned (so never deleted) by such a
 * run, and the chain's first run, which reads everything at once, sees it. Copies from another
 * Region carry an arbitrary volume id (`vol-ffffffff`) and are grouped by their source's volume,
 * so their groups are planned only once every query is read.
 */
export const VOLUME_ID_PARTITIONS: ReadonlyArray<readonly string[]> = Array.from({ length: 64 }, (_, k) =>
  [k, k + 64, k + 128, k + 192].map((n) => n.toString(16).padStart(2, '0')),
);

/**
 * What decides a plan besides the snapshots: the policies (retention, guards, Regions, copy
 * rules), the prune settings, the Regions and any volumes given on the command line. A
 * continuation carries it, so a run knows whether the plan its predecessor approved was made under
 * the same rules. Any change of these, even one that cannot change a plan, only costs one run its
 * early start.
 */
export function rulesFingerprint(config: PruneRunConfig, volumes?: readonly VolumeRule[]): string {
  const rules = { policies: config.snapshot.policies, prune: config.prune, regions: config.regions ?? null, volumes: volumes ?? null };
  return createHash('sha256').update(JSON.stringify(rules)).digest('hex').slice(0, 16);
}

/**
 * How many deletions a run may carry out in `region` before its whole plan is known and has
 * passed `maxDeletesPerRun` (0: none, the plan comes first). Only a continuation run starts early:
 * its predecessor read everything, planned under the same rules (same fingerprint) and passed the
 * cap with `approved[region]` deletions left there, so deleting up to that many before the new
 * plan is complete carries on an approved plan; if the complete plan then exceeds the cap, the run
 * stops there and alerts. Never with listed volumes: a typo in one (a volume that neither exists
 * nor has snapshots) is only known once every snapshot is read, and must stop the run before
 * anything is deleted. Never in a dry run.
 */
export function earlyDeletionAllowance(
  chain: ContinuationChain | undefined,
  run: { rules: string; region: string; listedVolumes: number; dryRun: boolean; cap: number },
): number {
  if (!chain || chain.run < 2 || chain.rules !== run.rules || run.dryRun || run.listedVolumes > 0) return 0;
  return Math.min(chain.approved?.[run.region] ?? 0, run.cap);
}

/**
 * Planned deletions as the describe step completes them, handed to the apply lanes oldest first
 * among those known. Before `release()` (the whole plan passed the cap) it hands out at most
 * `allowance` of them and then waits; `refuse()` ends it, returning what was never handed out.
 */
export class DeletionQueue<T extends { payload: { startMs: number } }> implements AsyncIterable<T> {
  /** Newest first, so the oldest is popped from the end. */
  private items: T[] = [];
  /** Deletions handed out so far (before `release()`: started early). */
  handedOut = 0;
  private released = false;
  private refused = false;
  private wake?: () => void;
  /** Deletions planned so far. */
  planned = 0;

  constructor(private readonly allowance: number) {}

  add(batch: readonly T[]): void {
    if (batch.length === 0) return;
    for (const item of batch) this.items.push(item);
    this.planned += batch.length;
    this.items.sort((a, b) => b.payload.startMs - a.payload.startMs);
    this.notify();
  }

  /** The plan is complete and approved: everything may go, and the queue ends when it is empty. */
  release(): void {
    this.released = true;
    this.notify();
  }

  /** The plan is refused (cap) or incomplete (describe failed): nothing more is handed out. */
  refuse(): T[] {
    this.refused = true;
    this.notify();
    const left = this.items.reverse();
    this.items = [];
    return left;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.refused) return;
      if (this.items.length > 0 && (this.released || this.handedOut < this.allowance)) {
        this.handedOut++;
        yield this.items.pop()!;
        continue;
      }
      if (this.released) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
