import type { Tag } from '@aws-sdk/client-ec2';
import type { SandboxClock } from './clock';
import { seededRandom } from './faults';

/** One CreateTags / DeleteTags on one resource: what each key was before and after. */
interface TagWrite {
  visibleAt: number;
  changes: Array<{ key: string; before: string | undefined }>;
}

/**
 * The sandbox's default upper bound on an instance tag write's delay before DescribeInstances shows
 * it. AWS documents no bound ("might not be immediately visible"); a few seconds is what the
 * eventual-consistency page's advice (retry with backoff for up to minutes) describes as the common
 * case, and it stays well inside the degraded claim's default 30 s settle time.
 */
export const DEFAULT_TAG_LAG_MS = 2_000;

const asRecord = (tags: Tag[] | undefined) => new Map((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/**
 * EC2's eventual consistency for tags: "the result of an API command you run that affects your
 * Amazon EC2 resources might not be immediately visible to all subsequent commands you run"
 * (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html). Each tag write on an
 * instance becomes visible to DescribeInstances after its own delay, drawn (seeded) between 0 and
 * `maxLagMs`, so two writes can surface in either order; until then DescribeInstances shows the
 * keys as they were. The account itself (IAM conditions, the model's own checks) sees every write
 * at once. `maxLagMs` 0 is the model without lag; by default every sandbox has
 * {@link DEFAULT_TAG_LAG_MS}, so no test, demo or benchmark meets a kinder EC2 than the real one.
 */
export class TagVisibility {
  private readonly writes = new Map<string, TagWrite[]>();
  private readonly random: () => number;

  constructor(
    private readonly clock: SandboxClock,
    readonly maxLagMs: number,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  /** Records a write that changed `before` into `after` (tags of one resource). */
  record(id: string, before: Tag[] | undefined, after: Tag[] | undefined): void {
    if (this.maxLagMs <= 0) return;
    const was = asRecord(before);
    const now = asRecord(after);
    const keys = [...new Set([...was.keys(), ...now.keys()])].filter((k) => was.get(k) !== now.get(k));
    if (keys.length === 0) return;
    const list = (this.writes.get(id) ?? []).filter((w) => w.visibleAt > this.clock.nowMs());
    list.push({ visibleAt: this.clock.nowMs() + this.random() * this.maxLagMs, changes: keys.map((key) => ({ key, before: was.get(key) })) });
    this.writes.set(id, list);
  }

  /** The tags a describe shows now: every write not yet visible is undone, newest first, unless a later visible write set the key again. */
  visible(id: string, tags: Tag[] | undefined): Tag[] | undefined {
    const list = this.writes.get(id);
    const now = this.clock.nowMs();
    if (!list || list.every((w) => w.visibleAt <= now)) return tags;
    const view = asRecord(tags);
    for (let i = list.length - 1; i >= 0; i--) {
      const write = list[i]!;
      if (write.visibleAt <= now) continue;
      for (const { key, before } of write.changes) {
        if (list.slice(i + 1).some((later) => later.visibleAt <= now && later.changes.some((c) => c.key === key))) continue;
        if (before === undefined) view.delete(key);
        else view.set(key, before);
      }
    }
    return [...view].map(([Key, Value]) => ({ Key, Value }));
  }
}
