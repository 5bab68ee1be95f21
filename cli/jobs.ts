import type { ParseArgsConfig } from 'node:util';
import type { Config } from '../shared/config/schema';
import type { JobContext, JobName, RunReport } from '../shared/engine/types';
import { runPrune } from '../shared/prune/run-prune';
import { runSnapshot } from '../shared/snapshot/run-snapshot';
import { pruneOptionsFromFlags } from './prune-flags';
import { instanceId } from '../shared/config/fields';
import { runDegraded } from '../shared/degraded/run-degraded';
import { InputError } from '../shared/engine/errors';
import { runFailover } from '../shared/failover/run-failover';

/** One job subcommand: its own flags, and the call into the shared job function. */
export interface JobCommand {
  job: JobName;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: JobContext, config: Config, flags: Record<string, unknown>): Promise<RunReport>;
}

export const JOB_COMMANDS: Record<string, JobCommand> = {
  snapshot: {
    job: 'snapshot',
    summary: 'snapshot the EBS volumes of the instances a policy selects',
    usage: 'caretaker snapshot --policy NAME [--dry-run] [--config FILE] [--sandbox]',
    options: { policy: { type: 'string' } },
    run: (ctx, config, flags) => {
      if (typeof flags.policy !== 'string') {
        throw new InputError('command line', [{ path: '--policy', message: `required (one of: ${config.snapshot.policies.map((p) => p.name).join(', ') || 'none configured'})` }]);
      }
      return runSnapshot(ctx, config, { policy: flags.policy });
    },
  },
  prune: {
    job: 'prune',
    summary: "delete snapshots no retention rule keeps (each policy's retain, prune.volumes), or one volume's older than N days",
    usage: 'caretaker prune [--dry-run] [--volume vol-… --older-than 7d] [--config FILE] [--sandbox]',
    options: { volume: { type: 'string', multiple: true }, 'older-than': { type: 'string' } },
    run: (ctx, config, flags) => runPrune(ctx, config, pruneOptionsFromFlags(flags)),
  },
  failover: {
    job: 'failover',
    summary: 'probe the failover groups and move each record to a healthy member; watches until Ctrl-C unless --once or --passes',
    usage: 'caretaker failover [--once] [--dry-run] [--group NAME]... [--passes N] [--config FILE] [--sandbox]',
    options: { once: { type: 'boolean' }, group: { type: 'string', multiple: true }, passes: { type: 'string' } },
    run: async (ctx, config, flags) => {
      const passes = flags.passes === undefined ? undefined : Number(flags.passes);
      if (passes !== undefined && !(Number.isInteger(passes) && passes > 0)) {
        throw new InputError('command line', [{ path: '--passes', message: 'expected a positive integer' }]);
      }
      // Ctrl-C ends the watch loop after the current pass; the report is still printed.
      const stop = new AbortController();
      const onSigint = () => stop.abort();
      process.once('SIGINT', onSigint);
      try {
        return await runFailover(ctx, config.failover, {
          once: flags.once === true,
          groups: flags.group as string[] | undefined,
          maxPasses: passes,
          signal: stop.signal,
          config,
          onPass: (e) => ctx.progress?.(`${e.group} pass ${e.pass}: ${e.members.map((m) => `${m.name} ${m.health.verdict} (${m.probe.detail})`).join(', ')} → ${e.decision.action}`),
        });
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
      },
    },
  degraded: {
    job: 'degraded',
    summary: 'scan for instances on degraded hosts (scheduled events, impaired status) and act per caretaker:on-degraded',
    usage: 'caretaker degraded [--instance i-... ...] [--dry-run] [--config FILE] [--sandbox]',
    options: { instance: { type: 'string', multiple: true } },
    run: (ctx, config, flags) => {
      const ids = (flags.instance as string[] | undefined) ?? [];
      const bad = ids.map((id, i) => ({ id, i })).filter(({ id }) => !instanceId.safeParse(id).success);
      if (bad.length) throw new InputError('command line', bad.map(({ id, i }) => ({ path: `--instance[${i}]`, message: `'${id}': expected an instance id like i-0123456789abcdef0` })));
      return runDegraded(ctx, config, { trigger: { kind: 'scan' }, instanceIds: ids.length ? ids : undefined });
    },
  },
};
