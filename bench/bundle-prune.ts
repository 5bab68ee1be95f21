import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SandboxAccount } from '../sandbox/account';
import { serveSandbox } from '../sandbox/http/server';
import { type BundledResult, invokeBundled, logEvents } from '../sandbox/lambda-runtime/invoke';
import { PRUNE_FLEET_DOCUMENT, seedPruneFleet } from '../sandbox/prune-fleet';

export interface BundlePruneRun {
  snapshots: number;
  expired: number;
  /** Sandbox ms per real ms, in the sandbox and the handler process alike. */
  timeScale: number;
  timeoutSeconds: number;
  result: BundledResult;
  deleted: number;
  wronglyDeleted: number;
  describeCalls: number;
  detailLogEvents: number;
}

/**
 * One scheduled invocation of the BUNDLED prune handler (unzipped `prune-snapshots.mjs`) over
 * 100,000 snapshots, in a fresh Node process, against the sandbox (AWS's token buckets on) served
 * over HTTP from this process. The handler's clock and the sandbox's run `timeScale`× faster, so
 * the function's 15-minute budget and DeleteSnapshot's 5/s bucket take a minute or two of real
 * time; what the process holds (the peak RSS) does not depend on the scale.
 */
export async function runBundledPrune100k(entry: string, options: { timeScale: number; timeoutMs?: number; volumes?: number }): Promise<BundlePruneRun> {
  const sandbox = new SandboxAccount({ throttling: true, timeScale: options.timeScale, seed: 4, start: new Date('2026-11-22T12:00:00Z') });
  const fleet = seedPruneFleet(sandbox, options.volumes ?? 10_000);
  const topicArn = sandbox.sns.addTopic('alerts');
  const configFile = join(mkdtempSync(join(tmpdir(), 'caretaker-prune-')), 'caretaker.config.yml');
  writeFileSync(configFile, JSON.stringify(PRUNE_FLEET_DOCUMENT));
  const server = await serveSandbox(sandbox);
  try {
    const timeoutMs = options.timeoutMs ?? 900_000;
    const result = await invokeBundled({
      entry,
      functionName: 'ec2-caretaker-bench-prune-snapshots',
      event: { time: '2026-11-22T12:00:00Z' },
      timeoutMs,
      memoryMb: 256,
      endpoint: server.url,
      configFile,
      alertTopicArn: topicArn,
      clock: sandbox,
    });
    const left = new Set(sandbox.ec2.snapshots.keys());
    const deleted = fleet.total - left.size;
    const expiredDeleted = [...fleet.expired].filter((id) => !left.has(id)).length;
    return {
      snapshots: fleet.total,
      expired: fleet.expired.size,
      timeScale: options.timeScale,
      timeoutSeconds: timeoutMs / 1000,
      result,
      deleted,
      wronglyDeleted: deleted - expiredDeleted,
      describeCalls: sandbox.callsOf('DescribeSnapshots').length,
      detailLogEvents: logEvents(result, 'run detail').length,
    };
  } finally {
    await server.close();
  }
}
