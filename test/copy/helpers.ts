import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { sandboxJobContext } from '../../sandbox/job-context';
import type { Config } from '../../shared/config/schema';
import type { JobContext } from '../../shared/engine/types';
import { TAG } from '../../shared/tags';
import { config } from '../helpers';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

/** Two Regions; `nightly` snapshots in us-east-1 and copies to eu-west-1. */
export function copyWorld(copyTo: Record<string, unknown> = {}, policy: Record<string, unknown> = {}) {
  const sandbox = new SandboxAccount({ start: new Date('2026-11-22T03:30:00Z'), timeScale: 0, regions: ['us-east-1', 'eu-west-1'], timings: { snapshotCompleteMs: 600_000 } });
  const fleet = new FleetBuilder(sandbox);
  const cfg: Config = config({
    regions: ['us-east-1', 'eu-west-1'],
    snapshot: {
      policies: [
        {
          name: 'nightly',
          schedule: 'cron(0 3 * * ? *)',
          regions: ['us-east-1'],
          selector: { tags: { 'caretaker:snapshot': ['nightly'] } },
          retain: { daily: 7 },
          copyTo: [{ region: 'eu-west-1', retain: { daily: 3 }, ...copyTo }],
          ...policy,
        },
      ],
    },
  });
  const policyOf = () => cfg.snapshot.policies[0]!;
  /** A completed snapshot of `nightly` (as the snapshot job tags them), `ageMs` old. */
  const source = (volumeId: string, ageMs: number, extra: Record<string, string> = {}) =>
    fleet.snapshot({ VolumeId: volumeId, Size: 8 }, ageMs, { [TAG.managed]: 'true', [TAG.policy]: 'nightly', Name: 'web-1', team: 'web', ...extra }).SnapshotId!;
  const eu = () => sandbox.inRegion('eu-west-1').ec2;
  /** The copies in eu-west-1, by the source they name. */
  const copiesBySource = () => {
    const out = new Map<string, string[]>();
    for (const { data } of eu().snapshots.values()) {
      const of = data.Tags?.find((t) => t.Key === TAG.copyOf)?.Value;
      if (of) out.set(of, [...(out.get(of) ?? []), data.SnapshotId!]);
    }
    return out;
  };
  const ctx = (overrides: Partial<JobContext> = {}) => sandboxJobContext(sandbox, { now: sandbox.clock.now(), ...overrides });
  return { sandbox, fleet, cfg, policyOf, source, eu, copiesBySource, ctx };
}
