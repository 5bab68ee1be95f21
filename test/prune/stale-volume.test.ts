import { describe, expect, it } from 'vitest';
import { memoryAlertSink } from '../../shared/alerts/sink';
import { publishReport } from '../../shared/alerts/publish-report';
import { parseConfig } from '../../shared/config/load';
import { runPrune } from '../../shared/prune/run-prune';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { sandboxJobContext } from '../../sandbox/job-context';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function setup() {
  const sandbox = new SandboxAccount({ start: new Date('2026-06-15T12:00:00Z'), timeScale: 0, seed: 3 });
  const fleet = new FleetBuilder(sandbox);
  const managed = (vol: { VolumeId?: string; Size?: number }, ageMs: number, instance: string) =>
    fleet.snapshot(vol, ageMs, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily', 'caretaker:instance': instance }).SnapshotId!;
  return { sandbox, fleet, managed, context: () => sandboxJobContext(sandbox, { runId: 'prune-stale' }) };
}

const config = parseConfig({
  snapshot: { policies: [{ name: 'daily', schedule: 'rate(1 day)', selector: { tags: { backup: ['daily'] } }, retain: { olderThanDays: 7 } }] },
  prune: { minAgeHours: 24 },
});

describe('prune on a stale volume (freshness guard)', () => {
  it('deletes nothing by age on a volume whose snapshots stopped, lists it as ACTION NEEDED, and prunes the healthy one', async () => {
    const { sandbox, fleet, managed, context } = setup();
    const stopped = fleet.volume({});
    const healthy = fleet.volume({});
    const stoppedIds = [10, 11, 12, 13, 20].map((d) => managed(stopped, d * DAY, 'i-0000000000000000a'));
    managed(healthy, 2 * HOUR, 'i-0000000000000000b');
    const healthyOld = managed(healthy, 20 * DAY, 'i-0000000000000000b');

    const report = await runPrune(context(), config);

    expect(sandbox.callsOf('DeleteSnapshot').map((c) => c.input.SnapshotId)).toEqual([healthyOld]);
    for (const id of stoppedIds) expect(sandbox.ec2.snapshots.has(id)).toBe(true);
    expect(report.actionNeeded).toEqual([
      {
        kind: 'stale-volume',
        subject: `i-0000000000000000a / ${stopped.VolumeId}`,
        problem: `newest completed snapshot ${stoppedIds[0]} of 2026-06-05T12:00Z (10.0 days ago); policy daily expects one at least every 36h`,
        todo: expect.stringContaining('until a new snapshot completes, prune deletes nothing by olderThanDays here'),
      },
    ]);
    // The command to check with names the policy, ready to paste.
    expect(report.actionNeeded![0]!.todo).toContain('(caretaker snapshot --policy daily --dry-run; ');
    const alerts = memoryAlertSink();
    await publishReport(alerts, report);
    expect(alerts.alerts[0]!.subject).toContain('ACTION NEEDED (1)');
    expect(alerts.alerts[0]!.body.indexOf('ACTION NEEDED')).toBeLessThan(alerts.alerts[0]!.body.indexOf('Deleted'));
  });

  it('recovers: once a new snapshot of the volume completes, it is no longer listed and the seed rule applies again', async () => {
    const { sandbox, fleet, managed, context } = setup();
    const vol = fleet.volume({});
    const old = [10, 11].map((d) => managed(vol, d * DAY, 'i-0000000000000000a'));
    expect((await runPrune(context(), config)).actionNeeded).toHaveLength(1);

    managed(vol, 3 * HOUR, 'i-0000000000000000a');
    const report = await runPrune(context(), config);

    expect(report.actionNeeded ?? []).toEqual([]);
    expect(sandbox.callsOf('DeleteSnapshot').map((c) => c.input.SnapshotId).sort()).toEqual([...old].sort());
  });

  it('treats a volume whose snapshots all failed for longer than the guard as stale', async () => {
    const { fleet, sandbox, context } = setup();
    const vol = fleet.volume({});
    const failed = fleet.snapshot(vol, 3 * DAY, { 'caretaker:managed': 'true', 'caretaker:policy': 'daily' });
    sandbox.ec2.snapshots.get(failed.SnapshotId!)!.data.State = 'error';

    const report = await runPrune(context(), config);

    expect(report.actionNeeded?.[0]).toMatchObject({ kind: 'stale-volume', problem: expect.stringMatching(/^no completed snapshot at all/) });
  });
});
