import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { narrowToRegion } from '../../cli/region-flag';
import { parseConfig } from '../../shared/config/load';
import { describeStatus } from '../../shared/status/describe-status';
import { formatStatus } from '../../shared/status/format-status';
import { planStatus } from '../../shared/status/plan-status';
import { statusScopes } from '../../shared/status/status-scopes';
import { TAG } from '../../shared/tags';
import { buildDemoAccount } from '../../sandbox/demo-account';
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
    const vol = { VolumeId: 'vol-ffffffff', Size: 500 };
    const done = euFleet.snapshot(vol, 86_400_000, { [TAG.managed]: 'true', [TAG.policy]: 'db-consistent', [TAG.copyOf]: 'us-east-1:snap-0aaaaaaaaaaaaaaa1' });
    const pending = euFleet.snapshot(vol, 0, { [TAG.managed]: 'true', [TAG.policy]: 'db-consistent', [TAG.copyOf]: 'us-east-1:snap-0aaaaaaaaaaaaaaa2' }, true);
    const ctx = sandboxJobContext(sandbox, { now: new Date(done.StartTime!.getTime() + 86_400_000), clientsIn: (region) => sandbox.clients({ region }) });
    const before = sandbox.calls.length;
    const [us, eu] = await Promise.all(statusScopes(config, ['us-east-1', 'eu-west-1'], 'us-east-1').map(async (scope) => planStatus(await describeStatus(ctx, config, scope), config, ctx.now)));
    expect(us!.region).toBe('us-east-1');
    expect(eu!.region).toBe('eu-west-1');
    expect(eu!.volumes.map((v) => `${v.policy} ${v.instanceName}`)).toEqual(['daily web-eu-1', 'daily web-eu-1']);
    expect(us!.volumes.some((v) => v.instanceName === 'web-eu-1')).toBe(false);
    expect(us!.volumes.filter((v) => v.policy === 'db-consistent')).toHaveLength(2);
    expect(eu!.copies).toEqual([
      {
        policy: 'db-consistent',
        completed: 1,
        newestCompleted: { snapshotId: done.SnapshotId, at: done.StartTime!.toISOString(), ageHours: 24 },
        pending: [{ snapshotId: pending.SnapshotId, copyOf: 'us-east-1:snap-0aaaaaaaaaaaaaaa2', startedAt: pending.StartTime!.toISOString(), progress: expect.stringMatching(/%$/) }],
        failed: 0,
      },
    ]);
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
