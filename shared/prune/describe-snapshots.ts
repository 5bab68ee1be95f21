import { type EC2Client, type Filter, paginateDescribeSnapshots, type Snapshot } from '@aws-sdk/client-ec2';
import { TAG } from '../tags';
import type { PruneConfig, Retain, VolumeRule } from './config';
import { filterChunks } from '../aws/filters';
import { parseDuration } from './freshness';
import type { CopyRule } from './copies';
import { ownCopy, SnapshotTable } from './snapshot-table';

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
  /** Its snapshots: indexes into {@link PruneState.table}. */
  members: number[];
}

/** What the describe step hands the planner: groups, plus foreign snapshots it left alone. */
export interface PruneState {
  /** Every snapshot kept, column by column; groups and `foreign` index into it. */
  table: SnapshotTable;
  groups: Map<string, SnapshotGroup>;
  /** Unmanaged snapshots of listed volumes that `includeUnmanaged` did not select: reported, never touched. */
  foreign: number[];
  /** Snapshots seen per listed volume (to tell a typo from a deleted volume). */
  seenPerVolume: Map<string, number>;
  pages: number;
}


/**
 * Streams the snapshots prune may look at, page by page (`OwnerIds: ['self']`, filtered,
 * `MaxResults: 1000`): caretaker's snapshots of policies that have a retention, and every snapshot
 * of the listed volumes. Never an unfiltered DescribeSnapshots (that would list public ones too).
 * `volumeSuffixes` reads only the snapshots whose volume id ends with one of them, all of them
 * (see VOLUME_ID_PARTITIONS in early-start.ts).
 */
export async function* describeSnapshotPages(ec2: EC2Client, scope: PruneScope, pageSize = 1000, volumeSuffixes?: readonly string[]): AsyncGenerator<SnapshotPage> {
  const ofSuffix: Filter[] = volumeSuffixes === undefined ? [] : [{ Name: 'volume-id', Values: volumeSuffixes.map((s) => `vol-*${s}`) }];
  const listed = scope.volumes.map((v) => v.volumeId).filter((id) => volumeSuffixes === undefined || volumeSuffixes.some((s) => id.endsWith(s)));
  const queries: Array<{ stream: SnapshotPage['stream']; Filters: Filter[] }> = [
    ...filterChunks([...new Set([...scope.policies.map((p) => p.name), ...(scope.copies ?? []).map((c) => c.policy)])]).map((names) => ({
      stream: 'policy' as const,
      Filters: [
        { Name: `tag:${TAG.managed}`, Values: ['true'] },
        { Name: `tag:${TAG.policy}`, Values: names },
        ...ofSuffix,
      ],
    })),
    ...filterChunks(listed).map((ids) => ({ stream: 'volume' as const, Filters: [{ Name: 'volume-id', Values: ids }] })),
  ];
  for (const { stream, Filters } of queries) {
    for await (const page of paginateDescribeSnapshots({ client: ec2, pageSize }, { OwnerIds: ['self'], Filters, MaxResults: pageSize })) {
      yield { stream, snapshots: page.Snapshots ?? [] };
      // Read: let its snapshots go now. The paginator holds the page (for its NextToken) while it
      // fetches and parses the next one, which would keep two pages of SDK objects alive at once.
      page.Snapshots = undefined;
    }
  }
}

/** One DescribeSnapshots page and which query produced it. */
export interface SnapshotPage {
  stream: 'policy' | 'volume';
  snapshots: Snapshot[];
}

/**
 * Reads every page into a compact table grouped by (retention, source volume). Only the few fields
 * the planner needs are kept (see {@link SnapshotTable}), so 100,000 snapshots take a few MB, not
 * the SDK objects' hundreds.
 */
export async function collectSnapshotGroups(pages: AsyncIterable<SnapshotPage>, scope: PruneScope, into?: PruneState): Promise<PruneState> {
  const state: PruneState = into ?? { table: new SnapshotTable(), groups: new Map(), foreign: [], seenPerVolume: new Map(), pages: 0 };
  const classify = snapshotClassifier(scope);
  // scope → volume → group, so a snapshot finds its group without building a key string; kept
  // with the state, so a copy group read over several queries stays one group.
  let byScope = groupIndex.get(state);
  if (!byScope) groupIndex.set(state, (byScope = new Map()));
  for await (const page of pages) {
    state.pages++;
    for (const snapshot of page.snapshots) {
      const c = classify(snapshot, page.stream);
      const volumeId = snapshot.VolumeId ?? '';
      if (c.fromVolumeRule) state.seenPerVolume.set(volumeId, (state.seenPerVolume.get(volumeId) ?? 0) + 1);
      if (c.kind === 'elsewhere') continue;
      // A copy is grouped by its source's Region and volume (its own VolumeId is arbitrary).
      const groupVolume = (c.kind === 'candidate' && c.volumeId) || volumeId;
      const index = state.table.add(snapshot, c.kind === 'candidate' && c.unmanaged, groupVolume);
      if (c.kind === 'foreign') {
        state.foreign.push(index);
        continue;
      }
      let volumes = byScope.get(c.scope);
      if (!volumes) byScope.set(c.scope, (volumes = new Map()));
      let group = volumes.get(groupVolume);
      if (!group) {
        const own = state.table.volumeId(index);
        group = { scope: c.scope, volumeId: own, retain: c.retain, staleAfterMs: c.staleAfterMs, members: [] };
        volumes.set(own, group);
        state.groups.set(`${c.scope}|${own}`, group);
      }
      group.members.push(index);
      const instance = snapshot.Tags?.find((t) => t.Key === TAG.instance)?.Value;
      if (instance && instance !== group.instanceId) group.instanceId = ownCopy(instance);
    }
  }
  return state;
}

/** Each state's index of its groups by scope and volume (continued by later reads into the same state). */
const groupIndex = new WeakMap<PruneState, Map<string, Map<string, SnapshotGroup>>>();

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
  // One classification per policy, shared by its snapshots (100,000 of them allocate nothing here).
  const policies = new Map(
    scope.policies.map((p) => [p.name, { kind: 'candidate', scope: `policy ${p.name}`, retain: p.retain, staleAfterMs: p.staleAfterMs, unmanaged: false, fromVolumeRule: false } as const]),
  );
  const seenByVolumeRule = { kind: 'elsewhere', fromVolumeRule: true } as const;
  const notOurs = { kind: 'elsewhere', fromVolumeRule: false } as const;
  const copyRules = new Map((scope.copies ?? []).map((c) => [c.policy, c]));
  const volumes = new Map(scope.volumes.map((v) => [v.volumeId, v]));
  const unmanagedVolumes = new Set(scope.includeUnmanaged?.volumeIds ?? []);
  const unmanagedTags = Object.entries(scope.includeUnmanaged?.tags ?? {});
  return (snapshot, stream) => {
    const tags = snapshot.Tags ?? [];
    const tag = (key: string) => tagValue(tags, key);
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
      return stream === 'volume' ? seenByVolumeRule : ofPolicy;
    }
    if (!listed || stream !== 'volume') return notOurs;
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


function tagValue(tags: NonNullable<Snapshot['Tags']>, key: string): string | undefined {
  for (const t of tags) if (t.Key === key) return t.Value;
  return undefined;
}

/** One copy of each repeated value (reasons that repeat across 100,000 decisions, states). */
export function interner(): (text: string) => string {
  const seen = new Map<string, string>();
  return (text) => {
    let kept = seen.get(text);
    if (kept === undefined) seen.set(text, (kept = ownCopy(text)));
    return kept;
  };
}
