import { memoryAlertSink, snsAlertSink } from '../shared/alerts/sink';
import { createClients } from '../shared/aws/clients';
import { clientsPerRegion } from '../shared/aws/lazy-clients';
import { loadConfig } from '../shared/config/load';
import type { Config } from '../shared/config/schema';
import { newRunId } from '../shared/engine/run';
import { type JobContext, type JobName, realSleep, unlimitedDeadline } from '../shared/engine/types';
import { silentLogger } from '../shared/log';
import { buildDemoAccount, type DemoAccount } from '../sandbox/demo-account';
import { progressMeter } from './progress';
import { checkRegionFlag, checkRegionName, narrowToCopyRegion, narrowToRegion } from './region-flag';
import { copyOnlyRegions, homeRegion, resolveRegions } from '../shared/engine/regions';
import { DOCUMENTS_ENV, parseDeployedDocuments, withDeployedDocuments } from '../shared/snapshot/deployed-documents';

/** Progress on stderr (stdout stays the report): a bar on a terminal, plain lines in CI and logs. */
function cliProgress(nowMs: () => number) {
  const tty = process.stderr.isTTY === true && !process.env.CI;
  return progressMeter({ tty, write: (t) => void process.stderr.write(t), nowMs });
}

export interface CommonFlags {
  config?: string;
  'dry-run'?: boolean;
  sandbox?: boolean;
  region?: string;
  'topic-arn'?: string;
}

export interface CliRun {
  ctx: JobContext;
  config: Config;
  /** Set for --sandbox runs, so the caller can show what the account looks like afterwards. */
  demo?: DemoAccount;
  /** True when the summary goes to SNS as well as the terminal. */
  publishes: boolean;
}

/**
 * The context of a CLI run: the real account through the standard credential chain (and
 * `AWS_ENDPOINT_URL*`), or the built-in sandbox with `--sandbox`. Same job functions either way.
 */
export async function cliRun(job: JobName, flags: CommonFlags): Promise<CliRun> {
  if (flags.region !== undefined) checkRegionName(flags.region);
  const run = await cliAccount(job, flags);
  if (flags.region === undefined) return run;
  const configured = await resolveRegions(run.ctx, run.config);
  const home = await homeRegion(run.ctx);
  // Prune also covers copy destinations outside `regions` (their copies alone): `--region` may name one.
  if (job === 'prune' && copyOnlyRegions(run.config, home).includes(flags.region)) return { ...run, config: narrowToCopyRegion(run.config, flags.region) };
  checkRegionFlag(flags.region, configured, run.config.regions);
  return { ...run, config: narrowToRegion(run.config, flags.region, home, configured) };
}

/** The Region the SDK would pick on its own (AWS_REGION, the profile), or `fallback` when it has none. */
async function sdkRegionOr(fallback: string): Promise<string> {
  return createClients().ec2.config.region().catch(() => fallback);
}

async function cliAccount(job: JobName, flags: CommonFlags): Promise<CliRun> {
  const now = new Date();
  const base = { dryRun: flags['dry-run'] ?? false, log: silentLogger, runId: newRunId(job, now) };
  if (flags.sandbox) {
    const demo = buildDemoAccount();
    const config = flags.config ? await loadConfig(flags.config) : demo.config;
    const clients = demo.sandbox.clients();
    return {
      demo,
      config,
      publishes: false,
      ctx: {
        ...base,
        clients,
        clientsIn: clientsPerRegion((region) => demo.sandbox.clients({ region }), { region: demo.sandbox.region, clients }),
        now: demo.sandbox.clock.now(),
        alerts: memoryAlertSink(),
        deadline: unlimitedDeadline,
        sleep: demo.sandbox.clock.sleep,
        nowMs: () => demo.sandbox.clock.nowMs(),
        progress: cliProgress(() => demo.sandbox.clock.nowMs()),
      },
    };
  }
  // Against the real account, the deployed stage's SSM document names (the function's
  // CARETAKER_SSM_DOCUMENTS, copied into the shell) replace the config's, as in the function.
  const config = withDeployedDocuments(await loadConfig(flags.config), parseDeployedDocuments(process.env[DOCUMENTS_ENV]));
  // Without `regions:` the deployment's Region is the one the CLI runs against, so `--region`
  // picks it (as it always has); with `regions:` the home stays put and `--region` narrows.
  const region = (config.regions === undefined ? flags.region : undefined) ?? config.region ?? (Array.isArray(config.regions) ? await sdkRegionOr(config.regions[0]!) : undefined);
  const clients = createClients({ region });
  const topic = flags['topic-arn'] ?? process.env.ALERT_TOPIC_ARN;
  return {
    config,
    publishes: topic !== undefined,
    ctx: {
      ...base,
      clients,
      clientsIn: clientsPerRegion((r) => createClients({ region: r }), { region: await clients.ec2.config.region(), clients }),
      now,
      alerts: topic ? snsAlertSink(clients.sns, topic) : memoryAlertSink(),
      deadline: unlimitedDeadline,
      sleep: realSleep,
      nowMs: Date.now,
      progress: cliProgress(Date.now),
    },
  };
}
