import { describe, expect, it } from 'vitest';
import { bucketKey, bucketLabel } from '../../shared/prune/time-buckets';
import { seededRandom } from '../../sandbox/faults';
import { GRAINS, labeller } from './oracle';

const MINUTE = 60_000;
const DAY = 86_400_000;
const ZONES = Intl.supportedValuesOf('timeZone');

/** The planner's label in the oracle's spelling (`2026-03-29 02`, `2026-W13` without padding). */
function plannerLabel(ms: number, grain: (typeof GRAINS)[number], zone: string): string {
  const l = bucketLabel(bucketKey(ms, grain, zone), grain);
  if (grain === 'hourly') return `${l.slice(0, 10)} ${l.slice(11, 13)}`;
  if (grain === 'weekly') return l.replace(/-W0?/, '-W');
  return l;
}

/** Offset changes of a zone between two instants, each to the second (found from Intl alone). */
function transitions(zone: string, from: number, to: number): number[] {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
  const offset = (ms: number) => fmt.formatToParts(ms).find((p) => p.type === 'timeZoneName')!.value;
  const out: number[] = [];
  const step = 14 * DAY;
  for (let t = from; t < to; t += step) {
    if (offset(t) === offset(t + step)) continue;
    let lo = t;
    let hi = t + step;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (offset(mid) === offset(lo)) lo = mid;
      else hi = mid;
    }
    out.push(hi);
  }
  return out;
}

describe('time buckets in every IANA zone', () => {
  it(`match Intl's calendar at random instants 1970-2045 in all ${ZONES.length} zones`, () => {
    const random = seededRandom(14);
    for (const zone of ZONES) {
      const label = labeller(zone);
      for (let i = 0; i < 40; i++) {
        const ms = Math.floor(random() * Date.UTC(2045, 0, 1));
        for (const grain of GRAINS) expect(plannerLabel(ms, grain, zone), `${zone} ${new Date(ms).toISOString()} ${grain}`).toBe(label(ms, grain));
      }
    }
  });

  it('match Intl around every offset change 2005-2030, to the second, in all zones', () => {
    let checked = 0;
    for (const zone of ZONES) {
      const label = labeller(zone);
      for (const at of transitions(zone, Date.UTC(2005, 0, 1), Date.UTC(2030, 0, 1))) {
        for (const d of [-MINUTE, -1000, 0, 1000, MINUTE]) {
          const ms = at + d;
          for (const grain of GRAINS) expect(plannerLabel(ms, grain, zone), `${zone} ${new Date(ms).toISOString()} ${grain}`).toBe(label(ms, grain));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it('put America/Goose_Bay 2009-11-01T03:01Z in October: its clocks went back at 00:01 local (issue 14)', () => {
    expect(plannerLabel(Date.parse('2009-11-01T03:01:00Z'), 'monthly', 'America/Goose_Bay')).toBe('2009-10');
    expect(plannerLabel(Date.parse('2009-11-01T03:00:59Z'), 'monthly', 'America/Goose_Bay')).toBe('2009-11');
    expect(plannerLabel(Date.parse('2009-11-01T04:00:00Z'), 'monthly', 'America/Goose_Bay')).toBe('2009-11');
  });
});
