import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../shared/engine/types';
import type { MemberHealth } from '../../shared/failover/track-health';
import { emitMetrics } from '../../shared/metrics/emit-metrics';
import { failoverObserver } from '../../shared/metrics/failover-observer';
import { runMetrics } from '../../shared/metrics/run-metrics';
import { METRICS } from '../../shared/metrics/catalog';
import { parseEmf } from './emf';

const base: RunReport = {
  job: 'prune',
  runId: 'prune-1',
  dryRun: false,
  startedAt: '2026-11-22T04:00:00.000Z',
  finishedAt: '2026-11-22T04:01:30.000Z',
  plan: [],
  results: [],
  remaining: 0,
  notes: [],
};

describe('runMetrics', () => {
  it('counts a prune run per policy: deleted, kept, failed and the backlog never started', () => {
    const report: RunReport = {
      ...base,
      plan: [
        { target: 'snap-1', action: 'delete-snapshot', reason: 'r', group: 'daily' },
        { target: 'snap-2', action: 'delete-snapshot', reason: 'r', group: 'daily' },
        { target: 'snap-3', action: 'delete-snapshot', reason: 'r', group: 'daily' },
        { target: 'snap-4', action: 'keep', reason: 'r', group: 'daily' },
        { target: 'snap-5', action: 'delete-snapshot', reason: 'r', group: 'prune.volumes' },
      ],
      results: [
        { id: 'snap-4', action: 'skip', outcome: 'skipped', reason: 'r', group: 'daily' },
        { id: 'snap-1', action: 'delete-snapshot', outcome: 'done', reason: 'r', group: 'daily' },
        { id: 'snap-2', action: 'delete-snapshot', outcome: 'failed', errorCode: 'X', reason: 'r', group: 'daily' },
        { id: 'snap-5', action: 'delete-snapshot', outcome: 'done', reason: 'r', group: 'prune.volumes' },
      ],
      remaining: 1,
      actionNeeded: [
        { kind: 'stale-volume', subject: 'vol-1', problem: 'p', todo: 't' },
        { kind: 'stale-volume', subject: 'vol-2', problem: 'p', todo: 't' },
        { kind: 'snapshot-error', subject: 'snap-9', problem: 'p', todo: 't' },
      ],
    };
    expect(runMetrics(report, 'eu-west-1')).toEqual([
      {
        level: 'run',
        dimensions: { Job: 'prune', Region: 'eu-west-1' },
        values: { ItemsDone: 2, ItemsSkipped: 1, ItemsFailed: 1, RunRefused: 0, RunDuration: 90, ActionNeeded: 3, StaleVolumes: 2, Remaining: 1 },
      },
      { level: 'policy', dimensions: { Job: 'prune', Region: 'eu-west-1', Policy: 'daily' }, values: { SnapshotsDeleted: 1, SnapshotsKept: 1, DeletionsFailed: 1, DeletionsRemaining: 1 } },
      { level: 'policy', dimensions: { Job: 'prune', Region: 'eu-west-1', Policy: 'prune.volumes' }, values: { SnapshotsDeleted: 1, SnapshotsKept: 0, DeletionsFailed: 0, DeletionsRemaining: 0 } },
    ]);
  });

  it('a refused prune counts its whole plan as backlog and the refusal', () => {
    const report: RunReport = {
      ...base,
      error: { code: 'BlastRadiusError', message: 'too many' },
      plan: [
        { target: 'snap-1', action: 'delete-snapshot', reason: 'r', group: 'daily' },
        { target: 'snap-2', action: 'delete-snapshot', reason: 'r', group: 'daily' },
      ],
    };
    const [run, daily] = runMetrics(report, 'us-east-1');
    expect(run!.values).toMatchObject({ RunRefused: 1, ItemsDone: 0 });
    expect(daily!.values).toEqual({ SnapshotsDeleted: 0, SnapshotsKept: 0, DeletionsFailed: 0, DeletionsRemaining: 2 });
  });

  it('counts snapshots started per policy from the created ids, and copies as 0; completions only when measured', () => {
    const report: RunReport = {
      ...base,
      job: 'snapshot',
      results: [
        { id: 'i-1', action: 'snapshot', outcome: 'done', reason: 'r', group: 'daily', details: { snapshots: 'vol-1→snap-1, vol-2→snap-2' } },
        { id: 'i-2', action: 'snapshot', outcome: 'failed', errorCode: 'X', reason: 'r', group: 'daily' },
      ],
    };
    expect(runMetrics(report, 'us-east-1')[1]).toEqual({
      level: 'policy',
      dimensions: { Job: 'snapshot', Region: 'us-east-1', Policy: 'daily' },
      values: { SnapshotsStarted: 2, SnapshotsFailed: 1, SnapshotCopies: 0 },
    });
  });

  it('emits completions, the worst backup age and its threshold from the snapshot run\'s measures, also for a policy with no item', () => {
    const report: RunReport = {
      ...base,
      job: 'snapshot',
      results: [{ id: 'i-1', action: 'snapshot', outcome: 'done', reason: 'r', group: 'daily', details: { snapshots: 'vol-1→snap-1' } }],
      measures: [
        { group: 'daily', snapshotsCompleted: 3, worstBackupAgeMs: 26.5 * 3_600_000, volumes: 3, staleAfterMs: 36 * 3_600_000 },
        // A duplicate delivery of the slot: no completion count, and a policy whose instances made no item.
        { group: 'weekly', worstBackupAgeMs: 100 * 60_000, volumes: 1 },
      ],
    };
    expect(runMetrics(report, 'us-east-1').slice(1)).toEqual([
      {
        level: 'policy',
        dimensions: { Job: 'snapshot', Region: 'us-east-1', Policy: 'daily' },
        values: { SnapshotsStarted: 1, SnapshotsFailed: 0, SnapshotCopies: 0, SnapshotsCompleted: 3, WorstBackupAgeHours: 26.5, StaleAfterHours: 36 },
      },
      {
        level: 'policy',
        dimensions: { Job: 'snapshot', Region: 'us-east-1', Policy: 'weekly' },
        values: { SnapshotsStarted: 0, SnapshotsFailed: 0, SnapshotCopies: 0, WorstBackupAgeHours: 1.67 },
      },
    ]);
  });

  it('emits the prune run\'s backup age per policy, never a completion count', () => {
    const report: RunReport = {
      ...base,
      planCounts: [{ group: 'daily', action: 'keep', count: 4 }],
      measures: [
        { group: 'daily', snapshotsCompleted: 9, worstBackupAgeMs: 50 * 3_600_000, volumes: 2, staleAfterMs: 36 * 3_600_000 },
        { group: 'prune.volumes', worstBackupAgeMs: 3_600_000, volumes: 1 },
      ],
    };
    expect(runMetrics(report, 'us-east-1').slice(1).map((s) => [s.dimensions.Policy, s.values])).toEqual([
      ['daily', { SnapshotsDeleted: 0, SnapshotsKept: 4, DeletionsFailed: 0, DeletionsRemaining: 0, WorstBackupAgeHours: 50, StaleAfterHours: 36 }],
      ['prune.volumes', { SnapshotsDeleted: 0, SnapshotsKept: 0, DeletionsFailed: 0, DeletionsRemaining: 0, WorstBackupAgeHours: 1 }],
    ]);
  });

  it('counts archive moves started only for policies with moves planned, next to the backup age', () => {
    const report: RunReport = {
      ...base,
      planCounts: [
        { group: 'monthly', action: 'skip', count: 3 },
        { group: 'monthly', action: 'archive-snapshot', count: 3 },
        { group: 'daily', action: 'skip', count: 2 },
      ],
      results: [
        { id: 'snap-1', action: 'archive-snapshot', outcome: 'done', reason: 'r', group: 'monthly' },
        { id: 'snap-2', action: 'archive-snapshot', outcome: 'done', reason: 'r', group: 'monthly' },
        { id: 'snap-3', action: 'archive-snapshot', outcome: 'skipped', errorCode: 'IncorrectState', reason: 'r', group: 'monthly' },
      ],
      measures: [{ group: 'monthly', worstBackupAgeMs: 2 * 3_600_000, volumes: 1 }],
    };
    expect(runMetrics(report, 'us-east-1').slice(1).map((s) => [s.dimensions.Policy, s.values])).toEqual([
      ['monthly', { SnapshotsDeleted: 0, SnapshotsKept: 6, DeletionsFailed: 0, DeletionsRemaining: 0, WorstBackupAgeHours: 2, SnapshotsArchived: 2 }],
      ['daily', { SnapshotsDeleted: 0, SnapshotsKept: 2, DeletionsFailed: 0, DeletionsRemaining: 0 }],
    ]);
  });

  it('puts every set under the report\'s own Region when it names one (one report per Region)', () => {
    const report: RunReport = { ...base, job: 'snapshot', region: 'eu-central-1', measures: [{ group: 'daily', snapshotsCompleted: 1 }] };
    expect(runMetrics(report, 'us-east-1').map((s) => s.dimensions.Region)).toEqual(['eu-central-1', 'eu-central-1']);
    expect(runMetrics({ ...report, region: undefined }, 'us-east-1').map((s) => s.dimensions.Region)).toEqual(['us-east-1', 'us-east-1']);
  });

  it('counts replacements by action and outcome, not skips', () => {
    const report: RunReport = {
      ...base,
      job: 'degraded',
      results: [
        { id: 'i-1', action: 'relaunch', outcome: 'done', reason: 'r' },
        { id: 'i-2', action: 'relaunch', outcome: 'failed', errorCode: 'X', reason: 'r' },
        { id: 'i-3', action: 'relaunch', outcome: 'done', reason: 'r' },
        { id: 'i-4', action: 'skip', outcome: 'skipped', reason: 'r' },
        { id: 'i-5', action: 'stop-start', outcome: 'done', reason: 'r' },
      ],
    };
    expect(runMetrics(report, 'us-east-1').slice(1).map((s) => [s.dimensions.Action, s.dimensions.Outcome, s.values.Replacements])).toEqual([
      ['relaunch', 'done', 2],
      ['relaunch', 'failed', 1],
      ['stop-start', 'done', 1],
    ]);
  });

  it('failover: moves from the report, probe latency and failures from the watch loop, no healthy member flagged', () => {
    const observer = failoverObserver();
    const up: MemberHealth = { verdict: 'up', failures: 0, successes: 2 };
    const down: MemberHealth = { verdict: 'down', failures: 3, successes: 0 };
    const pass = (members: Array<{ ok: boolean; ms: number; health: MemberHealth }>) =>
      observer.onPass({
        group: 'web',
        pass: 1,
        atMs: 0,
        current: undefined,
        members: members.map((m, i) => ({ name: `lb${i}`, probe: { ok: m.ok, ms: m.ms, detail: '' }, health: m.health })),
        decision: { action: 'none', reason: '' } as never,
      });
    pass([{ ok: true, ms: 12, health: up }, { ok: false, ms: 2000, health: up }]);
    pass([{ ok: true, ms: 8, health: up }, { ok: false, ms: 0, health: down }]);
    const report: RunReport = {
      ...base,
      job: 'failover',
      results: [{ id: 'lb.example.com', action: 'upsert', outcome: 'done', reason: 'r', group: 'web' }],
    };
    expect(runMetrics(report, 'us-east-1', observer.observations)[1]!.values).toEqual({
      FailoverMoves: 1,
      ProbeLatency: [12, 2000, 8],
      ProbeFailures: 2,
      HealthyMembers: 1,
      NoHealthyMember: 0,
    });
    const allDown: RunReport = { ...report, results: [{ id: 'lb.example.com', action: 'all-down', outcome: 'failed', errorCode: 'AllMembersDown', reason: 'r', group: 'web' }] };
    expect(runMetrics(allDown, 'us-east-1')[1]!.values).toMatchObject({ FailoverMoves: 0, NoHealthyMember: 1 });
  });

  it('a dry run measures nothing', () => {
    expect(runMetrics({ ...base, dryRun: true }, 'us-east-1')).toEqual([]);
  });
});

describe('emitMetrics', () => {
  it('writes one Powertools EMF line per dimension set, with the service dimension and the run\'s time', () => {
    const lines: string[] = [];
    emitMetrics(runMetrics(base, 'eu-west-1'), { service: 'ec2-caretaker-test', timestamp: new Date(base.finishedAt), write: (l) => lines.push(l) });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)._aws.Timestamp).toBe(Date.parse(base.finishedAt));
    expect(parseEmf(lines)).toEqual([
      {
        dimensions: { service: 'ec2-caretaker-test', Job: 'prune', Region: 'eu-west-1' },
        values: { ItemsDone: 0, ItemsSkipped: 0, ItemsFailed: 0, RunRefused: 0, RunDuration: 90, ActionNeeded: 0, StaleVolumes: 0, Remaining: 0 },
      },
    ]);
  });

  it('splits more than 99 probe latencies over several lines (EMF allows 100 values per metric; Powertools flushes by itself at 100)', () => {
    const lines: string[] = [];
    const latencies = Array.from({ length: 250 }, (_, i) => i + 1);
    emitMetrics([{ level: 'group', dimensions: { Job: 'failover', Region: 'r', Group: 'web' }, values: { ProbeLatency: latencies, FailoverMoves: 0 } }], {
      service: 's',
      timestamp: new Date(),
      write: (l) => lines.push(l),
    });
    const parsed = parseEmf(lines);
    expect(parsed.map((p) => (p.values.ProbeLatency as number[]).length)).toEqual([99, 99, 52]);
    expect(parsed.flatMap((p) => p.values.ProbeLatency as number[])).toEqual(latencies);
    // A count is sent once, not once per line.
    expect(parsed.filter((p) => 'FailoverMoves' in p.values)).toHaveLength(1);
  });
});

describe('metric catalog', () => {
  it('has no two metrics whose names differ only by case (CloudWatch names are case-sensitive, readers are not)', () => {
    const names = Object.keys(METRICS).map((n) => n.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
  });
});
