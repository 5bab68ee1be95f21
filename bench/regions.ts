import { parseConfig } from '../shared/config/load';
import type { Config } from '../shared/config/schema';
import type { RunReport } from '../shared/engine/types';
import { DELETE_SNAPSHOT_BUCKET, runPrune } from '../shared/prune/run-prune';
import { CREATE_SNAPSHOTS_BUCKET, runSnapshot } from '../shared/snapshot/run-snapshot';
import { SandboxAccount } from '../sandbox/account';
import { FleetBuilder } from '../sandbox/fleet';
import { PRUNE_FLEET_DOCUMENT, seedPruneFleet } from '../sandbox/prune-fleet';
import { benchContext, ratioToLimit } from './lib';

/** The four Regions of the multi-Region runs (issue 15: 4 Regions × 250 instances / 25,000 snapshots). */
export const BENCH_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'eu-central-1'];
const INSTANCES_PER_REGION = 250;
const VOLUMES_PER_INSTANCE = 3;
/** 25,000 snapshots per Region: 2,500 volumes × 10 days, half of them expired. */
const PRUNE_VOLUMES_PER_REGION = 2_500;

/**
 * What a run over several Regions costs against the same work in one: `regionsWallRatio` is the
 * wall time (sandbox time, first call to end of run) of the 4-Region run ÷ that of a 1-Region run
 * doing one Region's share (the same per-Region work: 250 instances, 25,000 snapshots), so 1.0
 * means the Regions ran fully in parallel and 4.0 one after another. `minRegionRatioToLimit` is
 * the worst Region's use of its own token bucket (each Region has its own, per account).
 */
export interface RegionsFigures {
  regions: number;
  regionsWallRatio: number;
  minRegionRatioToLimit: number;
  regionsAwsSeconds: number;
  oneRegionAwsSeconds: number;
  perRegionRatioToLimit: Record<string, number>;
  regionsFailedItems: number;
  regionsTimeScale: number;
}

interface Job {
  operation: string;
  bucket: { capacity: number; refillPerSecond: number };
  timeScale: number;
  seed(sandbox: SandboxAccount, region: string): void;
  config(regions: string[]): Config;
  run(sandbox: SandboxAccount, config: Config): Promise<RunReport>;
}

async function measure(job: Job, regions: string[]) {
  const sandbox = new SandboxAccount({ throttling: true, timeScale: job.timeScale, seed: 11, start: new Date('2026-11-22T12:00:00Z'), regions });
  for (const region of regions) job.seed(sandbox, region);
  const start = sandbox.clock.nowMs();
  const report = await job.run(sandbox, job.config(regions));
  const wallMs = sandbox.clock.nowMs() - start;
  const perRegion: Record<string, number> = {};
  for (const region of regions) {
    const calls = sandbox.calls.filter((c) => c.region === region && c.operation === job.operation);
    const ok = calls.filter((c) => !c.error);
    if (ok.length === 0) throw new Error(`${job.operation}: no successful call in ${region}: the run did not cover it`);
    perRegion[region] = ratioToLimit(ok.length, ok[ok.length - 1]!.atMs - calls[0]!.atMs, job.bucket);
  }
  return { wallMs, perRegion, failed: report.results.filter((r) => r.outcome === 'failed').length };
}

async function compare(job: Job): Promise<RegionsFigures> {
  const one = await measure(job, BENCH_REGIONS.slice(0, 1));
  const four = await measure(job, BENCH_REGIONS);
  return {
    regions: BENCH_REGIONS.length,
    regionsWallRatio: Math.round((four.wallMs / one.wallMs) * 1000) / 1000,
    minRegionRatioToLimit: Math.min(...Object.values(four.perRegion)),
    regionsAwsSeconds: Math.round(four.wallMs / 1000),
    oneRegionAwsSeconds: Math.round(one.wallMs / 1000),
    perRegionRatioToLimit: four.perRegion,
    regionsFailedItems: four.failed,
    regionsTimeScale: job.timeScale,
  };
}

/** 4 Regions × 250 instances (3 volumes each) snapshotted in one run, vs one Region's 250. */
export function measureSnapshotRegions(): Promise<RegionsFigures> {
  return compare({
    operation: 'CreateSnapshots',
    bucket: CREATE_SNAPSHOTS_BUCKET,
    // 250 calls a Region take ~30 AWS-s past the burst; at 10× the four Regions make ~200 calls per real second.
    timeScale: 10,
    seed: (sandbox, region) => {
      const fleet = new FleetBuilder(sandbox, region);
      for (let i = 0; i < INSTANCES_PER_REGION; i++) {
        fleet.instance({ name: `app-${i}`, tags: { 'caretaker:snapshot': 'daily' }, volumes: Array.from({ length: VOLUMES_PER_INSTANCE }, () => ({})) });
      }
    },
    config: (regions) =>
      parseConfig({
        regions,
        snapshot: { policies: [{ name: 'daily', schedule: 'rate(1 day)', selector: { tags: { 'caretaker:snapshot': ['daily'] } }, maxInstancesPerRun: INSTANCES_PER_REGION * regions.length }] },
      }),
    run: (sandbox, config) => runSnapshot({ ...benchContext(sandbox), now: sandbox.clock.now() }, config, { policy: 'daily' }),
  });
}

/** 4 Regions × 25,000 snapshots (12,500 expired each) pruned in one run, vs one Region's 25,000. */
export function measurePruneRegions(): Promise<RegionsFigures> {
  return compare({
    operation: 'DeleteSnapshot',
    bucket: DELETE_SNAPSHOT_BUCKET,
    // 12,500 deletions a Region take ~2,500 AWS-s; at 40× four Regions make ~800 calls per real
    // second, what a loaded 2-core machine sustains (faster scales measure the machine, not the job).
    timeScale: 40,
    seed: (sandbox, region) => void seedPruneFleet(sandbox, PRUNE_VOLUMES_PER_REGION, 10, region),
    config: (regions) => parseConfig({ ...PRUNE_FLEET_DOCUMENT, regions }),
    run: (sandbox, config) => runPrune({ ...benchContext(sandbox), now: sandbox.clock.now() }, config),
  });
}
