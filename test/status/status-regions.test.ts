import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { narrowToRegion } from '../../cli/region-flag';
import { parseConfig } from '../../shared/config/load';
import { describeStatus } from '../../shared/status/describe-status';
import { formatStatus } from '../../shared/status/format-status';
import { planStatus } from '../../shared/status/plan-status';
import { statusScopes } from '../../shared/status/status-scopes';
import { copyOnlyRegions } from '../../shared/engine/regions';
import { TAG } from '../../shared/tags';
import { buildDemoAccount, DEMO_CONFIG } from '../../sandbox/demo-account';
import { sandboxJobContext } from '../../sandbox/job-context';
import { captureConsole } from '../helpers';

const twoRegionConfig = (extra: object = {}) =>
  parseConfig({
    regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
    snapshot: {
      policies: [
        { name: 'everywhere', schedule: 'rate(1 day)', selector: { tags: { a: ['1'] } } },
        { name: 'us-only', schedule: 'rate(1 day)', regions: ['us-east-1'], selector: { tags: { b: ['1'] } }, copyTo: [{ region: 'eu-west-1', retain: { keepLast: 3 } }] },
      ],
    },
    degraded: { regions: ['eu-west-1'] },
    ...extra,
  });

/**
 * db-consistent's copies in eu-west-1: one landed yesterday, today's still on its way; `expected` is
 * what the status view shows of them 24 h after the first started.
 */
function landCopies(euFleet: ReturnType<typeof buildDemoAccount>['euFleet']) {
  const vol = { VolumeId: 'vol-ffffffff', Size: 500 };
  const done = euFleet.snapshot(vol, 86_400_000, { [TAG.managed]: 'true', [TAG.policy]: 'db-consistent', [TAG.copyOf]: 'us-east-1:snap-0aaaaaaaaaaaaaaa1' });
  const pending = euFleet.snapshot(vol, 0, { [TAG.managed]: 'true', [TAG.policy]: 'db-consistent', [TAG.copyOf]: 'us-east-1:snap-0aaaaaaaaaaaaaaa2' }, true);
  const expected = [
    {
      policy: 'db-consistent',
      completed: 1,
      newestCompleted: { snapshotId: done.SnapshotId, at: done.StartTime!.toISOString(), ageHours: 24 },
      pending: [{ snapshotId: pending.SnapshotId, copyOf: 'us-east-1:snap-0aaaaaaaaaaaaaaa2', startedAt: pending.StartTime!.toISOString(), progress: expect.stringMatching(/%$/) }],
      failed: 0,
    },
  ];
  return { done, pending, expected };
}

describe('statusScopes', () => {
  it('shows each policy, the degraded scan and each failover group in the Regions they cover', () => {
    const scopes = statusScopes(twoRegionConfig(), ['us-east-1', 'eu-west-1', 'ap-southeast-2'], 'us-east-1');
    expect(scopes.map((s) => [s.region, s.policies.map((p) => p.name), s.degraded])).toEqual([
      ['us-east-1', ['everywhere', 'us-only'], false],
      ['eu-west-1', ['everywhere'], true],
      ['ap-southeast-2', ['everywhere'], false],
    ]);
  });
});

describe('statusScopes with copy-only Regions', () => {
  it('adds each copy destination outside `regions` after the covered Regions, reading its copies alone', () => {
    const config = twoRegionConfig({ regions: ['us-east-1'], degraded: {} });
    expect(copyOnlyRegions(config, 'us-east-1')).toEqual(['eu-west-1']);
    const scopes = statusScopes(config, ['us-east-1'], 'us-east-1', copyOnlyRegions(config, 'us-east-1'));
    expect(scopes.map((s) => [s.region, s.copyOnly, s.policies.map((p) => p.name), s.degraded, s.groups])).toEqual([
      ['us-east-1', false, ['everywhere', 'us-only'], true, []],
      ['eu-west-1', true, [], false, []],
    ]);
    // A destination that is a covered Region is shown once, as covered.
    expect(statusScopes(twoRegionConfig(), ['us-east-1', 'eu-west-1', 'ap-southeast-2'], 'us-east-1', ['eu-west-1']).map((s) => [s.region, s.copyOnly])).toEqual([
      ['us-east-1', false],
      ['eu-west-1', false],
      ['ap-southeast-2', false],
    ]);
  });
});

/** The demo's config covering us-east-1 only: db-consistent's copies land in eu-west-1, now a copy-only Region. */
const US_ONLY = { ...DEMO_CONFIG, regions: ['us-east-1'] };

describe('caretaker status in a copy-only Region (demo sandbox)', () => {
  it('shows the copies that landed and the pending ones per policy, reads nothing else there, and only describes', async () => {
    const { sandbox, euFleet } = buildDemoAccount();
    const config = parseConfig(US_ONLY);
    const { done, pending, expected } = landCopies(euFleet);
    // A managed snapshot there that is no copy (made when eu-west-1 was still covered): not a copy, not shown.
    euFleet.snapshot({ VolumeId: 'vol-eeeeeeee', Size: 8 }, 3_600_000, { [TAG.managed]: 'true', [TAG.policy]: 'daily' });
    const ctx = sandboxJobContext(sandbox, { now: new Date(done.StartTime!.getTime() + 86_400_000), clientsIn: (region) => sandbox.clients({ region }) });
    const before = sandbox.calls.length;
    const scopes = statusScopes(config, ['us-east-1'], 'us-east-1', copyOnlyRegions(config, 'us-east-1'));
    const [us, eu] = await Promise.all(scopes.map(async (scope) => planStatus(await describeStatus(ctx, config, scope), config, ctx.now)));
    expect(us).toMatchObject({ region: 'us-east-1', copyOnly: false });
    expect(eu).toMatchObject({ region: 'eu-west-1', copyOnly: true, volumes: [], degraded: [], groups: [] });
    expect(eu!.copies).toEqual(expected);
    // In the copy-only Region: its snapshots (by the copy tag) and nothing else; no instance, no status scan.
    const euCalls = sandbox.calls.slice(before).filter((c) => c.region === 'eu-west-1');
    expect([...new Set(euCalls.map((c) => `${c.service}:${c.operation}`))]).toEqual(['ec2:DescribeSnapshots']);
    expect(sandbox.calls.slice(before).filter((c) => c.service === 'ec2' && !c.operation.startsWith('Describe'))).toEqual([]);
    const text = formatStatus(eu!).join('\n');
    expect(text).toMatch(/^Region eu-west-1 \(copies only: a copyTo destination outside `regions`\), /);
    expect(text).toContain('Copies from other Regions (1 completed, 1 pending):');
    expect(text).toMatch(new RegExp(`${pending.SnapshotId}\\s+us-east-1:snap-0aaaaaaaaaaaaaaa2\\s+db-consistent`));
    expect(text).not.toMatch(/Snapshots \(|Degraded hosts|Failover groups/);
  });

  it('shows a policy copying there with nothing landed yet as 0 copies, not as silence', async () => {
    const { sandbox } = buildDemoAccount();
    const config = parseConfig(US_ONLY);
    const ctx = sandboxJobContext(sandbox, { clientsIn: (region) => sandbox.clients({ region }) });
    const [, eu] = await Promise.all(statusScopes(config, ['us-east-1'], 'us-east-1', ['eu-west-1']).map(async (scope) => planStatus(await describeStatus(ctx, config, scope), config, ctx.now)));
    expect(eu!.copies).toEqual([{ policy: 'db-consistent', completed: 0, pending: [], failed: 0 }]);
    expect(formatStatus(eu!).join('\n')).toContain('Copies from other Regions (0 completed, 0 pending):');
  });
});

describe('narrowToRegion (--region)', () => {
  it('keeps only that Region everywhere; a policy that only copies to it runs nowhere', () => {
    const narrowed = narrowToRegion(twoRegionConfig(), 'eu-west-1', 'us-east-1', ['us-east-1', 'eu-west-1', 'ap-southeast-2']);
    expect(narrowed.regions).toEqual(['eu-west-1']);
    expect(narrowed.snapshot.policies.map((p) => [p.name, p.regions])).toEqual([
      ['everywhere', ['eu-west-1']],
      ['us-only', []],
    ]);
    expect(narrowed.degraded.regions).toEqual(['eu-west-1']);
    // The copy target stays: the source Regions make copies, whatever the run is narrowed to.
    expect(narrowed.snapshot.policies[1]!.copyTo.map((t) => t.region)).toEqual(['eu-west-1']);
    expect(narrowToRegion(twoRegionConfig(), 'us-east-1', 'us-east-1', ['us-east-1', 'eu-west-1']).degraded.regions).toEqual([]);
  });
});

describe('caretaker status over two Regions (demo sandbox)', () => {
  it('reads each Region with its own clients and shows only what covers it', async () => {
    const { sandbox, config, euFleet } = buildDemoAccount();
    // A copy of db-1's consistent snapshot landed in eu-west-1 yesterday; today's is still on its way.
    const { done, pending, expected } = landCopies(euFleet);
    const ctx = sandboxJobContext(sandbox, { now: new Date(done.StartTime!.getTime() + 86_400_000), clientsIn: (region) => sandbox.clients({ region }) });
    const before = sandbox.calls.length;
    const [us, eu] = await Promise.all(statusScopes(config, ['us-east-1', 'eu-west-1'], 'us-east-1').map(async (scope) => planStatus(await describeStatus(ctx, config, scope), config, ctx.now)));
    expect(us!.region).toBe('us-east-1');
    expect(eu!.region).toBe('eu-west-1');
    expect(eu!.volumes.map((v) => `${v.policy} ${v.instanceName}`)).toEqual(['daily web-eu-1', 'daily web-eu-1']);
    expect(us!.volumes.some((v) => v.instanceName === 'web-eu-1')).toBe(false);
    expect(us!.volumes.filter((v) => v.policy === 'db-consistent')).toHaveLength(2);
    expect(eu!.copies).toEqual(expected);
    expect(us!.copies).toEqual([]);
    // The demo's degraded host is in us-east-1; eu-west-1 has none.
    expect(us!.degraded.length).toBeGreaterThan(0);
    expect(eu!.degraded).toEqual([]);
    // Every describe went to the Region it was about, none to another.
    const calls = sandbox.calls.slice(before);
    expect(calls.filter((c) => c.region === 'eu-west-1' && c.operation === 'DescribeInstances').length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.service === 'ec2' && c.region !== 'us-east-1' && c.region !== 'eu-west-1')).toEqual([]);
    expect(calls.filter((c) => !c.operation.startsWith('Describe') && c.service === 'ec2')).toEqual([]);
    const text = formatStatus(eu!).join('\n');
    expect(text).toContain('Copies from other Regions (1 completed, 1 pending):');
    expect(text).toMatch(new RegExp(`${pending.SnapshotId}\\s+us-east-1:snap-0aaaaaaaaaaaaaaa2\\s+db-consistent`));
  });
});

describe('caretaker status command over Regions', () => {
  const { out, err } = captureConsole();

  it('prints one table per configured Region, and the same as JSON', async () => {
    expect(await main(['status', '--sandbox'])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^Region us-east-1, /m);
    expect(text).toMatch(/^Region eu-west-1, /m);
    expect(text.indexOf('Region us-east-1')).toBeLessThan(text.indexOf('Region eu-west-1'));
    // web-eu-1's volumes have no snapshot yet: new, not stale (the freshness guard's verdict).
    expect(text).toContain('Snapshots (2 volume(s), 0 stale):');
    out.length = 0;
    expect(await main(['status', '--sandbox', '--json'])).toBe(0);
    const json = JSON.parse(out.join('\n'));
    expect(json.regions.map((r: { region: string }) => r.region)).toEqual(['us-east-1', 'eu-west-1']);
    expect(json.regions[1].volumes.map((v: { instanceName: string }) => v.instanceName)).toEqual(['web-eu-1', 'web-eu-1']);
  });

  it('--region shows that Region only; a Region the config does not cover, or a typo, exits 2 naming --region', async () => {
    expect(await main(['status', '--sandbox', '--json', '--region', 'eu-west-1'])).toBe(0);
    expect(JSON.parse(out.join('\n')).regions.map((r: { region: string }) => r.region)).toEqual(['eu-west-1']);
    out.length = 0;
    expect(await main(['status', '--sandbox', '--region', 'ap-south-1'])).toBe(2);
    expect(err.join('\n')).toMatch(/--region: ap-south-1 is not one of the configured Regions \(us-east-1, eu-west-1\)/);
    err.length = 0;
    expect(await main(['status', '--sandbox', '--region', 'eu-wset-1'])).toBe(2);
    expect(err.join('\n')).toMatch(/--region: unknown Region 'eu-wset-1'/);
    expect(out).toEqual([]);
  });
});

describe('caretaker status command with a copy-only Region', () => {
  const { out, err } = captureConsole();
  const file = join(mkdtempSync(join(tmpdir(), 'caretaker-status-')), 'us-only.yml');
  writeFileSync(file, JSON.stringify(US_ONLY));

  it('shows the copy-only Region after the covered ones, marked copyOnly, in text and JSON', async () => {
    expect(await main(['status', '--sandbox', '--config', file, '--json'])).toBe(0);
    const json = JSON.parse(out.join('\n'));
    expect(json.regions.map((r: { region: string; copyOnly: boolean }) => [r.region, r.copyOnly])).toEqual([
      ['us-east-1', false],
      ['eu-west-1', true],
    ]);
    // The same keys as a covered Region's entry (scripts read one shape), nothing but copies filled in.
    expect(Object.keys(json.regions[1]).sort()).toEqual(Object.keys(json.regions[0]).sort());
    expect(json.regions[1]).toMatchObject({ volumes: [], degraded: [], groups: [], copies: [{ policy: 'db-consistent' }] });
    out.length = 0;
    expect(await main(['status', '--sandbox', '--config', file])).toBe(0);
    expect(out.join('\n')).toMatch(/^Region eu-west-1 \(copies only: /m);
  });

  it('--region may name the copy-only Region (its copies alone); one neither covered nor a destination still exits 2', async () => {
    expect(await main(['status', '--sandbox', '--config', file, '--json', '--region', 'eu-west-1'])).toBe(0);
    expect(JSON.parse(out.join('\n')).regions.map((r: { region: string; copyOnly: boolean }) => [r.region, r.copyOnly])).toEqual([['eu-west-1', true]]);
    out.length = 0;
    expect(await main(['status', '--sandbox', '--config', file, '--json', '--region', 'us-east-1'])).toBe(0);
    expect(JSON.parse(out.join('\n')).regions.map((r: { region: string }) => r.region)).toEqual(['us-east-1']);
    out.length = 0;
    expect(await main(['status', '--sandbox', '--config', file, '--region', 'ap-south-1'])).toBe(2);
    expect(err.join('\n')).toMatch(/--region: ap-south-1 is not one of the configured Regions \(us-east-1\)/);
  });
});

describe('--region on a job', () => {
  const { out, err } = captureConsole();

  it('narrows the run to that Region; without it the CLI covers every configured Region', async () => {
    expect(await main(['snapshot', '--sandbox', '--policy', 'daily', '--dry-run', '--json'])).toBe(0);
    const all = JSON.parse(out.join('\n'));
    expect(new Set(all.plan.map((p: { region?: string }) => p.region))).toEqual(new Set(['us-east-1', 'eu-west-1']));
    out.length = 0;
    expect(await main(['snapshot', '--sandbox', '--policy', 'daily', '--dry-run', '--json', '--region', 'eu-west-1'])).toBe(0);
    const eu = JSON.parse(out.join('\n'));
    expect(eu.plan.map((p: { target: string }) => p.target)).toHaveLength(1);
    expect(eu.plan.every((p: { region?: string }) => p.region === undefined || p.region === 'eu-west-1')).toBe(true);
    out.length = 0;
    // db-consistent snapshots in us-east-1 only (it copies to eu-west-1): narrowed to eu-west-1 it runs nowhere.
    expect(await main(['snapshot', '--sandbox', '--policy', 'db-consistent', '--dry-run', '--json', '--region', 'eu-west-1'])).toBe(0);
    expect(JSON.parse(out.join('\n')).plan).toEqual([]);
  });

  it('refuses a Region the config does not cover with exit 2 naming --region, for every job', async () => {
    for (const job of [['snapshot', '--policy', 'daily'], ['prune'], ['degraded'], ['failover', '--once']]) {
      err.length = 0;
      expect(await main([...job, '--sandbox', '--region', 'ap-south-1'])).toBe(2);
      expect(err.join('\n')).toContain('--region: ap-south-1 is not one of the configured Regions (us-east-1, eu-west-1)');
    }
  });
});
