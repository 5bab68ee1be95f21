import type { Snapshot } from '@aws-sdk/client-ec2';
import { seededRandom } from './faults';

/** A seeded fault: snapshots matching it end in `error` instead of `completed`. */
export interface SnapshotFailureRule {
  volumeId?: string;
  /** Probability per matching snapshot (default 1). */
  probability?: number;
  /** At most this many snapshots fail (default unlimited). */
  times?: number;
  /** `StateMessage` of the failed snapshot, as DescribeSnapshots shows it. */
  message?: string;
}

/** The EventBridge event EBS emits when a snapshot request finishes (shapes as documented). */
export interface EbsSnapshotEvent {
  version: '0';
  id: string;
  'detail-type': 'EBS Snapshot Notification' | 'EBS Multi-Volume Snapshots Completion Status';
  source: 'aws.ec2';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

interface Request {
  kind: 'createSnapshot' | 'createSnapshots';
  ids: string[];
  startTime: string;
  requestId: string;
}

/**
 * How snapshots end, and the completion events EBS sends for them
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-cloud-watch-events.html):
 * `CreateSnapshot` → one `EBS Snapshot Notification` (`event: createSnapshot`, `result:
 * succeeded|failed`, `snapshot_id` and `source` as ARNs); `CreateSnapshots` → one `EBS Multi-Volume
 * Snapshots Completion Status` for the whole request (`event: createSnapshots`, `result`, and a
 * `snapshots` list of `{ snapshot_id, source, status }`) once every snapshot of it has ended.
 */
export class SnapshotOutcomes {
  private readonly rules: Array<SnapshotFailureRule & { used: number }> = [];
  private readonly fates = new Map<string, string>();
  private readonly requestOf = new Map<string, Request>();
  private readonly random: () => number;
  /** Every completion event emitted so far, oldest first. */
  readonly events: EbsSnapshotEvent[] = [];
  private seq = 0;

  constructor(
    private readonly accountId: string,
    private readonly region: string,
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  /** Seeds a failure: matching snapshots created from now on will end in `error`. */
  fail(rule: SnapshotFailureRule): void {
    this.rules.push({ ...rule, used: 0 });
  }

  /** Records a new request's snapshots and decides (seeded) which of them will fail. */
  created(kind: Request['kind'], snapshots: Snapshot[]): void {
    const request: Request = { kind, ids: snapshots.map((s) => s.SnapshotId!), startTime: snapshots[0]?.StartTime?.toISOString() ?? '', requestId: `req-${++this.seq}` };
    for (const s of snapshots) {
      this.requestOf.set(s.SnapshotId!, request);
      const rule = this.rules.find((r) => (r.volumeId === undefined || r.volumeId === s.VolumeId) && (r.times === undefined || r.used < r.times));
      if (rule && this.random() < (rule.probability ?? 1)) {
        rule.used++;
        this.fates.set(s.SnapshotId!, rule.message ?? 'Snapshot failed: an internal error occurred while copying the volume data (sandbox fault).');
      }
    }
  }

  /** Fates one snapshot to end in `error` with this message (a copy whose KMS key does not exist). */
  doom(snapshotId: string, message: string): void {
    this.fates.set(snapshotId, message);
  }

  /** The failure message a snapshot is fated to end with, if any. */
  failureOf(snapshotId: string): string | undefined {
    return this.fates.get(snapshotId);
  }

  /** A snapshot left `pending`: emits the request's event once all of its snapshots have ended. */
  ended(s: Snapshot, all: ReadonlyMap<string, { data: Snapshot }>, nowIso: string): void {
    const request = this.requestOf.get(s.SnapshotId!);
    if (!request) return;
    const members = request.ids.map((id) => all.get(id)?.data ?? (id === s.SnapshotId ? s : undefined));
    if (members.some((m) => m?.State === 'pending')) return;
    for (const id of request.ids) this.requestOf.delete(id);
    const arn = (kind: string, id?: string) => `arn:aws:ec2::${this.region}:${kind}/${id}`;
    const failed = members.some((m) => m?.State === 'error');
    const cause = failed ? members.find((m) => m?.State === 'error')?.StateMessage ?? 'failed' : '';
    const base = { version: '0' as const, id: `sandbox-event-${++this.seq}`, source: 'aws.ec2' as const, account: this.accountId, time: nowIso, region: this.region };
    const resources = request.ids.map((id) => arn('snapshot', id));
    if (request.kind === 'createSnapshot') {
      this.events.push({
        ...base,
        'detail-type': 'EBS Snapshot Notification',
        resources,
        detail: { event: 'createSnapshot', result: failed ? 'failed' : 'succeeded', cause, 'request-id': request.requestId, snapshot_id: resources[0], source: arn('volume', members[0]?.VolumeId), startTime: request.startTime, endTime: nowIso },
      });
      return;
    }
    this.events.push({
      ...base,
      'detail-type': 'EBS Multi-Volume Snapshots Completion Status',
      resources,
      detail: {
        event: 'createSnapshots',
        result: failed ? 'failed' : 'succeeded',
        cause,
        'request-id': request.requestId,
        startTime: request.startTime,
        endTime: nowIso,
        snapshots: members.map((m, i) => ({ snapshot_id: resources[i], source: arn('volume', m?.VolumeId), status: m?.State ?? 'error' })),
      },
    });
  }
}
