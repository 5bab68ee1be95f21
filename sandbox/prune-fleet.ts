import { parseConfig } from '../shared/config/load';
import type { SandboxAccount } from './account';
import { FleetBuilder } from './fleet';

const DAY = 86_400_000;

export interface PruneFleet {
  /** Snapshots the policy condemns: older than 5 days, not AMI-held, not tagged caretaker:keep. */
  expired: Set<string>;
  total: number;
}

/**
 * The prune benchmark's account: `volumes` volumes with one caretaker snapshot a day for 10 days
 * each (100,000 snapshots at 10,000 volumes), half of them expired under {@link PRUNE_FLEET_CONFIG};
 * some held by AMIs, some tagged caretaker:keep, in `region` (default: the home Region). The
 * sandbox's clock should start at 2026-11-22T12:00Z.
 */
export function seedPruneFleet(sandbox: SandboxAccount, volumes = 10_000, perVolume = 10, region?: string): PruneFleet {
  const fleet = new FleetBuilder(sandbox, region);
  const expired = new Set<string>();
  const held: string[] = [];
  for (let v = 0; v < volumes; v++) {
    const volume = fleet.volume({ sizeGiB: 8 + (v % 5) * 8 });
    for (let d = 1; d <= perVolume; d++) {
      const keep = v % 97 === 0 && d === 9;
      // Half a day off the whole day, so `olderThanDays: 5` splits each volume's ten 5 / 5.
      const id = fleet.snapshot(volume, (d - 0.5) * DAY + (v % 60) * 60_000, {
        'caretaker:managed': 'true',
        'caretaker:policy': 'daily',
        'caretaker:slot': new Date(Date.parse('2026-11-22T03:00:00Z') - d * DAY).toISOString(),
        'caretaker:instance': `i-${(v + 1).toString(16).padStart(17, '0')}`,
        ...(keep ? { 'caretaker:keep': 'true' } : {}),
      }).SnapshotId!;
      if (v % 89 === 0 && d === 8) held.push(id);
      else if (d > 5 && !keep) expired.add(id);
    }
  }
  for (let i = 0; i < held.length; i += 4) fleet.image(held.slice(i, i + 4), `golden-${i}`);
  return { expired, total: volumes * perVolume };
}

/** The config document of the prune fleet: keep 5 days, and a cap that lets the whole plan run. */
export const PRUNE_FLEET_DOCUMENT = {
  snapshot: { policies: [{ name: 'daily', schedule: 'rate(1 day)', selector: { tags: { 'caretaker:snapshot': ['daily'] } }, retain: { olderThanDays: 5 } }] },
  prune: { maxDeletesPerRun: 100_000, minAgeHours: 24 },
};

export const PRUNE_FLEET_CONFIG = parseConfig(PRUNE_FLEET_DOCUMENT);
