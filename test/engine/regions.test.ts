import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../shared/engine/errors';
import { REGION_FAILED_ACTION } from '../../shared/engine/merge-regions';
import { resolveRegions, runInRegions } from '../../shared/engine/regions';
import { checkRunCap, emptyReport, runFailed } from '../../shared/engine/run';
import type { JobContext, RunReport } from '../../shared/engine/types';
import { FleetBuilder } from '../../sandbox/fleet';
import { config, sandboxContext, sandboxWithFleet } from '../helpers';

const twoRegions = () => sandboxWithFleet({ regions: ['us-east-1', 'eu-west-1'], disabledRegions: ['af-south-1'] });

/** A Region's part that describes its volumes (in its own Region) and plans one action per volume. */
async function volumesRun(c: JobContext, region: string, cap = 10): Promise<RunReport> {
  const report = emptyReport('snapshot', c);
  const volumes = (await c.clients.ec2.send(new DescribeVolumesCommand({}))).Volumes ?? [];
  await checkRunCap(c, volumes.length, { name: 'maxInstancesPerRun', limit: cap });
  for (const v of volumes) report.results.push({ id: v.VolumeId!, action: 'snapshot', outcome: 'done', reason: `in ${region}` });
  report.notes.push(`${volumes.length} volume(s)`);
  return report;
}

describe('resolveRegions', () => {
  it('defaults to the home Region without asking the account', async () => {
    const { sandbox } = twoRegions();
    expect(await resolveRegions(sandboxContext(sandbox), config({}))).toEqual(['us-east-1']);
    expect(sandbox.calls).toEqual([]);
  });

  it('reads the enabled Regions for `all` on every run, home first, and narrows', async () => {
    const { sandbox } = sandboxWithFleet({ regions: ['us-east-1', 'eu-west-1', 'ap-southeast-3'], disabledRegions: ['af-south-1'] });
    const ctx = sandboxContext(sandbox);
    expect(await resolveRegions(ctx, config({ regions: 'all' }))).toEqual(['us-east-1', 'ap-southeast-3', 'eu-west-1']);
    expect(await resolveRegions(ctx, config({ regions: 'all' }), ['eu-west-1'])).toEqual(['eu-west-1']);
    expect(sandbox.calls.filter((c) => c.operation === 'DescribeRegions')).toHaveLength(2);
  });

  it('refuses a configured Region that is not enabled, naming the field', async () => {
    const { sandbox } = twoRegions();
    const p = resolveRegions(sandboxContext(sandbox), config({ regions: ['us-east-1', 'af-south-1'] }));
    await expect(p).rejects.toBeInstanceOf(InputError);
    await expect(p).rejects.toThrow(/regions\[1\]: af-south-1 is not enabled/);
  });
});

describe('runInRegions', () => {
  it('runs each Region with its own clients and merges the reports with their Region', async () => {
    const { sandbox, fleet } = twoRegions();
    fleet.volume({ sizeGiB: 8 });
    const euVolume = new FleetBuilder(sandbox, 'eu-west-1').volume({ sizeGiB: 8 });
    const report = await runInRegions(sandboxContext(sandbox), ['us-east-1', 'eu-west-1'], (c, r) => volumesRun(c, r));
    expect(report.results.map((r) => [r.region, r.reason])).toEqual([
      ['us-east-1', 'in us-east-1'],
      ['eu-west-1', 'in eu-west-1'],
    ]);
    expect(report.results.find((r) => r.region === 'eu-west-1')!.id).toBe(euVolume.VolumeId);
    expect(report.notes).toEqual(['us-east-1: 1 volume(s)', 'eu-west-1: 1 volume(s)']);
    expect(sandbox.calls.map((c) => c.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('keeps a single home-Region run exactly as it was (no Region stamps)', async () => {
    const { sandbox, fleet } = twoRegions();
    fleet.volume({ sizeGiB: 8 });
    const report = await runInRegions(sandboxContext(sandbox), ['us-east-1'], (c, r) => volumesRun(c, r));
    expect(report.results[0]).not.toHaveProperty('region');
    expect(report.notes).toEqual(['1 volume(s)']);
  });

  it('enforces the cap over the whole run: every Region refuses when the total is over it', async () => {
    const { sandbox, fleet } = twoRegions();
    fleet.volume({ sizeGiB: 8 });
    new FleetBuilder(sandbox, 'eu-west-1').volume({ sizeGiB: 8 });
    const within = await runInRegions(sandboxContext(sandbox), ['us-east-1', 'eu-west-1'], (c, r) => volumesRun(c, r, 2));
    expect(within.error).toBeUndefined();
    const refused = await runInRegions(sandboxContext(sandbox), ['us-east-1', 'eu-west-1'], async (c, r) => {
      try {
        return await volumesRun(c, r, 1);
      } catch (error) {
        const report = emptyReport('snapshot', c);
        report.error = { code: (error as Error).name, message: (error as Error).message };
        return report;
      }
    });
    expect(refused.error).toMatchObject({ code: 'BlastRadiusError' });
    expect(refused.error!.message).toMatch(/maxInstancesPerRun=1 exceeded: the plan has 2 actions/);
    expect(refused.results).toEqual([]);
  });

  it('reports a Region that fails as a failed item and ACTION NEEDED while the other completes', async () => {
    const { sandbox, fleet } = twoRegions();
    fleet.volume({ sizeGiB: 8 });
    // af-south-1 is not enabled: AWS refuses the credentials there (AuthFailure).
    const report = await runInRegions(sandboxContext(sandbox), ['us-east-1', 'af-south-1'], (c, r) => volumesRun(c, r));
    expect(report.error).toBeUndefined();
    expect(report.results.filter((r) => r.outcome === 'done').map((r) => r.region)).toEqual(['us-east-1']);
    expect(report.results.find((r) => r.outcome === 'failed')).toMatchObject({ id: 'af-south-1', action: REGION_FAILED_ACTION, errorCode: 'AuthFailure', region: 'af-south-1' });
    expect(report.actionNeeded).toEqual([expect.objectContaining({ kind: 'region-failed', subject: 'af-south-1', region: 'af-south-1' })]);
    expect(runFailed(report)).toBe(true);
  });

  it('throws bad input once every Region has settled', async () => {
    const { sandbox } = twoRegions();
    const p = runInRegions(sandboxContext(sandbox), ['us-east-1', 'eu-west-1'], async () => {
      throw new InputError('event', [{ path: 'policy', message: 'unknown' }]);
    });
    await expect(p).rejects.toBeInstanceOf(InputError);
  });
});
