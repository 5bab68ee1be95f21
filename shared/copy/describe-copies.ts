import { type EC2Client, type Filter, paginateDescribeSnapshots, type Snapshot } from '@aws-sdk/client-ec2';
import { filterChunks, tagRecord } from '../aws/filters';
import { TAG } from '../tags';

/** A completed snapshot of the policy in the source Region, as much of it as a copy needs. */
export interface CopySource {
  id: string;
  volumeId: string;
  startMs: number;
  description: string;
  encrypted: boolean;
  tags: Record<string, string>;
}

/** A copy (in a destination Region) of one of the policy's snapshots. */
export interface ExistingCopy {
  id: string;
  /** `caretaker:copy-of`: `<source Region>:<source id>`. */
  copyOf: string;
  sourceVolumeId: string;
  /** The source's start time (its `caretaker:source-start` tag); NaN when the tag is missing. */
  sourceStartMs: number;
  startMs: number;
  state: string;
  stateMessage?: string;
}

/** What the copy planner needs for one policy and one destination. */
export interface CopyState {
  sourceRegion: string;
  sources: CopySource[];
  copies: ExistingCopy[];
  /** Caretaker's copies into the destination Region still `pending` (any policy, any source Region). */
  inFlight: number;
}

/** `<source Region>:<source id>`: the value that names a copy's source. */
export const copyOfValue = (sourceRegion: string, sourceId: string): string => `${sourceRegion}:${sourceId}`;

async function describeAll(ec2: EC2Client, Filters: Filter[]): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  for await (const page of paginateDescribeSnapshots({ client: ec2, pageSize: 1000 }, { OwnerIds: ['self'], Filters, MaxResults: 1000 })) out.push(...(page.Snapshots ?? []));
  return out;
}

/**
 * The policy's completed snapshots in the source Region (all of them, or only `onlyIds`: the
 * snapshots a completion event names), never copies themselves.
 */
export async function describeSources(ec2: EC2Client, policy: string, onlyIds?: readonly string[]): Promise<CopySource[]> {
  const base: Filter[] = [
    { Name: `tag:${TAG.managed}`, Values: ['true'] },
    { Name: `tag:${TAG.policy}`, Values: [policy] },
    { Name: 'status', Values: ['completed'] },
  ];
  const queries = onlyIds ? filterChunks(onlyIds).map((ids) => [...base, { Name: 'snapshot-id', Values: ids }]) : [base];
  const sources: CopySource[] = [];
  for (const filters of queries) {
    for (const s of await describeAll(ec2, filters)) {
      const tags = tagRecord(s.Tags);
      if (tags[TAG.copyOf] !== undefined) continue;
      sources.push({ id: s.SnapshotId!, volumeId: s.VolumeId ?? '', startMs: s.StartTime?.getTime() ?? 0, description: s.Description ?? '', encrypted: s.Encrypted === true, tags });
    }
  }
  return sources;
}

/** The destination's copies of the policy's snapshots from this source Region, and caretaker's copies in flight there. */
export async function describeDestination(ec2: EC2Client, policy: string, sourceRegion: string): Promise<Pick<CopyState, 'copies' | 'inFlight'>> {
  const copies = (
    await describeAll(ec2, [
      { Name: `tag:${TAG.policy}`, Values: [policy] },
      { Name: `tag:${TAG.sourceRegion}`, Values: [sourceRegion] },
      { Name: 'tag-key', Values: [TAG.copyOf] },
    ])
  ).map(toCopy);
  const inFlight = (await describeAll(ec2, [{ Name: 'status', Values: ['pending'] }, { Name: 'tag-key', Values: [TAG.copyOf] }])).length;
  return { copies, inFlight };
}

/** The destination's copies of one source (the apply step's re-check before and after copying). */
export async function describeCopiesOf(ec2: EC2Client, copyOf: string): Promise<ExistingCopy[]> {
  return (await describeAll(ec2, [{ Name: `tag:${TAG.copyOf}`, Values: [copyOf] }])).map(toCopy);
}

function toCopy(s: Snapshot): ExistingCopy {
  const tags = tagRecord(s.Tags);
  return {
    id: s.SnapshotId!,
    copyOf: tags[TAG.copyOf] ?? '',
    sourceVolumeId: tags[TAG.sourceVolume] ?? '',
    sourceStartMs: Date.parse(tags[TAG.sourceStart] ?? ''),
    startMs: s.StartTime?.getTime() ?? 0,
    state: s.State ?? 'unknown',
    ...(s.StateMessage ? { stateMessage: s.StateMessage } : {}),
  };
}

/**
 * Of several copies of one source (two triggers raced), the one that stays: the earliest started,
 * then the smallest id. Every run decides the same, so the others are removed and they converge.
 */
export function winningCopy<T extends Pick<ExistingCopy, 'id' | 'startMs'>>(copies: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of copies) if (!best || c.startMs < best.startMs || (c.startMs === best.startMs && c.id < best.id)) best = c;
  return best;
}
