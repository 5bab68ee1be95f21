import { type EC2Client, type Filter, paginateDescribeSnapshots, type Snapshot } from '@aws-sdk/client-ec2';
import { TAG } from '../tags';
import type { PruneConfig, Retain, VolumeRule } from './config';
import type { SnapshotRow } from './plan-retention';
import { filterChunks } from '../aws/filters';
import { parseDuration } from './freshness';
import type { CopyRule } from './copies';

/** What the prune job looks at: policies with a `retain`, listed volumes, and the unmanaged selector. */
export interface PruneScope {
  /** `staleAfterMs`: the policy's freshness guard (its `staleAfter`, or its schedule interval × 1.5). */
  policies: ReadonlyArray<{ name: string; retain: Retain; staleAfterMs?: number }>;
  /** Copy rules of this Region (`copyTo[].retain`): cross-Region copies here are pruned by these, never by their policy's own rule. */
  copies?: readonly CopyRule[];
  volumes: readonly VolumeRule[];
  includeUnmanaged?: PruneConfig['includeUnmanaged'];
}

/** One source volume under one retention: the unit the planner works on. */
export interface SnapshotGroup {
  /** `policy daily` or `volume vol-…`: whose rule applies. */
  scope: string;
  volumeId: string;
  retain: Retain;
  /** Freshness guard of this group (undefined: none). */
  staleAfterMs?: number;
  /** The instance the volume's newest snapshot was taken from (`caretaker:instance`), for the report. */
  instanceId?: string;
  rows: SnapshotRow[];
}

/** What the describe step hands the planner: groups, plus foreign snapshots it left alone. */
export interface PruneState {
  groups: Map<string, SnapshotGroup>;
  /** Unmanaged snapshots of listed volumes that `includeUnmanaged` did not select: reported, never touched. */
  foreign: SnapshotRow[];
  /** Snapshots seen per listed volume (to tell a typo from a deleted volume). */
  seenPerVolume: Map<string, number>;
  pages: number;
}


/**
 * Streams the snapshots prune may look at, page by page (`OwnerIds: ['self']`, filtered,
 * `MaxResults: 1000`): caretaker's snapshots of policies that have a retention, and every snapshot
 * of the listed volumes. Never an unfiltered DescribeSnapshots (that would list public ones too).
 */
export async function* describeSnapshotPages(ec2: EC2Client, scope: PruneScope, pageSize = 1000): AsyncGenerator<SnapshotPage> {
  const queries: Array<{ stream: SnapshotPage['stream']; Filters: Filter[] }> = [
    ...filterChunks([...new Set([...scope.policies.map((p) => p.name), ...(scope.copies ?? []).map((c) => c.policy)])]).map((names) => ({
      stream: 'policy' as const,
      Filters: [
        { Name: `tag:${TAG.managed}`, Values: ['true'] },
        { Name: `tag:${TAG.policy}`, Values: names },
      ],
    })),
    ...filterChunks(scope.volumes.map((v) => v.volumeId)).map((ids) => ({ stream: 'volume' as const, Filters: [{ Name: 'volume-id', Values: ids }] })),
  ];
  for (const { stream, Filters } of queries) {
    for await (const page of paginateDescribeSnapshots({ client: ec2, pageSize }, { OwnerIds: ['self'], Filters, MaxResults: pageSize })) {
      yield { stream, snapshots: page.Snapshots ?? [] };
    }
  }
}

/** One DescribeSnapshots page and which query produced it. */
export interface SnapshotPage {
  stream: 'policy' | 'volume';
  snapshots: Snapshot[];
}

/**
 * Reads every page into compact rows grouped by (retention, source volume). Only the few fields
 * the planner needs are kept, so 100,000 snapshots take a few MB, not the SDK objects' hundreds.
 */
export async function collectSnapshotGroups(pages: AsyncIterable<SnapshotPage>, scope: PruneScope): Promise<PruneState> {
  const state: PruneState = { groups: new Map(), foreign: [], seenPerVolume: new Map(), pages: 0 };
  const classify = snapshotClassifier(scope);
  const intern = interner();
  for await (const page of pages) {
    state.pages++;
    for (const snapshot of page.snapshots) {
      const c = classify(snapshot, page.stream);
      if (c.fromVolumeRule) {
        const volumeId = snapshot.VolumeId ?? '';
        state.seenPerVolume.set(volumeId, (state.seenPerVolume.get(volumeId) ?? 0) + 1);
      }
      if (c.kind === 'elsewhere') continue;
      const row = toRow(snapshot, c.kind === 'candidate' && c.unmanaged, intern, c.kind === 'candidate' ? c.volumeId : undefined);
      if (c.kind === 'foreign') {
        state.foreign.push(row);
        continue;
      }
      const key = `${c.scope}|${row.volumeId}`;
      let group = state.groups.get(key);
      if (!group) state.groups.set(key, (group = { scope: c.scope, volumeId: row.volumeId, retain: c.retain, staleAfterMs: c.staleAfterMs, rows: [] }));
      group.rows.push(row);
      const instance = snapshot.Tags?.find((t) => t.Key === TAG.instance)?.Value;
      if (instance) group.instanceId = instance;
    }
  }
  return state;
}

type Classification =
  | { kind: 'candidate'; scope: string; retain: Retain; staleAfterMs?: number; unmanaged: boolean; fromVolumeRule: boolean; volumeId?: string }
  | { kind: 'foreign'; fromVolumeRule: true }
  | { kind: 'elsewhere'; fromVolumeRule: boolean };

/**
 * Decides which retention a snapshot falls under. A caretaker snapshot of a policy with `retain`
 * follows its policy (even on a listed volume, where the volume listing sees it a second time);
 * other snapshots of a listed volume follow the volume's rule; unmanaged ones only when selected.
 */
export function snapshotClassifier(scope: PruneScope): (snapshot: Snapshot, stream: SnapshotPage['stream']) => Classification {
  const policies = new Map(scope.policies.map((p) => [p.name, p]));
  const copyRules = new Map((scope.copies ?? []).map((c) => [c.policy, c]));
  const volumes = new Map(scope.volumes.map((v) => [v.volumeId, v]));
  const unmanagedVolumes = new Set(scope.includeUnmanaged?.volumeIds ?? []);
  const unmanagedTags = Object.entries(scope.includeUnmanaged?.tags ?? {});
  return (snapshot, stream) => {
    const tags = snapshot.Tags ?? [];
    const tag = (key: string) => tags.find((t) => t.Key === key)?.Value;
    const volumeId = snapshot.VolumeId ?? '';
    const managed = tag(TAG.managed) === 'true';
    const policy = managed ? tag(TAG.policy) : undefined;
    const listed = volumes.get(volumeId);
    const copyOf = managed ? tag(TAG.copyOf) : undefined;
    if (copyOf !== undefined) {
      // A cross-Region copy: its own rule, grouped by its source's Region and volume (a copy's VolumeId is arbitrary).
      const rule = policy !== undefined ? copyRules.get(policy) : undefined;
      if (!rule || stream === 'volume') return { kind: 'elsewhere', fromVolumeRule: stream === 'volume' };
      const source = `${tag(TAG.sourceRegion) ?? '?'}/${tag(TAG.sourceVolume) ?? '?'}`;
      return { kind: 'candidate', scope: `copy ${policy}`, retain: rule.retain, staleAfterMs: rule.staleAfterMs, unmanaged: false, fromVolumeRule: false, volumeId: source };
    }
    const ofPolicy = policy !== undefined ? policies.get(policy) : undefined;
    if (ofPolicy) {
      // The volume listing sees it too: count it there, plan it once, under its policy.
      if (stream === 'volume') return { kind: 'elsewhere', fromVolumeRule: true };
      return { kind: 'candidate', scope: `policy ${policy}`, retain: ofPolicy.retain, staleAfterMs: ofPolicy.staleAfterMs, unmanaged: false, fromVolumeRule: false };
    }
    if (!listed || stream !== 'volume') return { kind: 'elsewhere', fromVolumeRule: false };
    const staleAfterMs = volumeStaleAfterMs(listed);
    if (managed) return { kind: 'candidate', scope: `volume ${volumeId}`, retain: listed, staleAfterMs, unmanaged: false, fromVolumeRule: true };
    const selected =
      unmanagedVolumes.has(volumeId) ||
      unmanagedTags.some(([key, values]) => {
        const value = tag(key);
        return value !== undefined && (values.length === 0 || values.includes(value));
      });
    if (!selected) return { kind: 'foreign', fromVolumeRule: true };
    return { kind: 'candidate', scope: `volume ${volumeId}`, retain: listed, staleAfterMs, unmanaged: true, fromVolumeRule: true };
  };
}

/**
 * A listed volume has no schedule of ours: its guard is its `staleAfter`, else its `olderThanDays`
 * window (once the newest snapshot is older than that, the seed rule would leave only minKeep).
 */
export function volumeStaleAfterMs(rule: Pick<Retain, 'staleAfter' | 'olderThanDays'>): number | undefined {
  if (rule.staleAfter !== undefined) return parseDuration(rule.staleAfter);
  return rule.olderThanDays !== undefined ? rule.olderThanDays * 86_400_000 : undefined;
}


function toRow(s: Snapshot, unmanaged: boolean, intern: (text: string) => string, volumeId = s.VolumeId ?? ''): SnapshotRow {
  return {
    id: ownCopy(s.SnapshotId ?? ''),
    volumeId: intern(volumeId),
    startMs: s.StartTime?.getTime() ?? 0,
    state: intern(s.State ?? 'unknown'),
    sizeGiB: s.VolumeSize ?? 0,
    keepTag: s.Tags?.some((t) => t.Key === TAG.keep) ?? false,
    unmanaged,
    storageTier: intern(s.StorageTier ?? 'standard'),
  };
}

/**
 * A string that holds only its own characters. The XML parser hands out slices of the page it
 * read; a row keeping a slice would keep the whole page (~600 KB per 1,000 snapshots) alive.
 */
function ownCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** One copy of each repeated value (10,000 volume ids for 100,000 rows, a few states). */
export function interner(): (text: string) => string {
  const seen = new Map<string, string>();
  return (text) => {
    let kept = seen.get(text);
    if (kept === undefined) seen.set(text, (kept = ownCopy(text)));
    return kept;
  };
}
