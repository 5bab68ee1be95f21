import { parseArgs } from 'node:util';
import { publishReport } from '../shared/alerts/publish-report';
import { loadConfig } from '../shared/config/load';
import { CaretakerError, InputError } from '../shared/engine/errors';
import { runFailed } from '../shared/engine/run';
import { cliRun, type CommonFlags } from './context';
import { runDemo } from './demo';
import { JOB_COMMANDS } from './jobs';
import { printReport } from './output';
import { runStatus } from './status';

const COMMON = {
  config: { type: 'string' },
  'dry-run': { type: 'boolean' },
  sandbox: { type: 'boolean' },
  region: { type: 'string' },
  'topic-arn': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usage(): string {
  return [
    'EC2 Caretaker: scheduled EC2 fleet care.',
    '',
    'Usage:',
    '  caretaker demo [--config FILE]      run every job through its Lambda handler against the built-in sandbox',
    '  caretaker validate-config [--config FILE]',
    '  caretaker status [--json] [--config FILE] [--sandbox] [--region R]',
    '      per Region: what each policy covers (newest snapshot, age, retention, stale), copies pending, degraded hosts, failover groups',
    ...Object.values(JOB_COMMANDS).map((c) => `  ${c.usage}\n      ${c.summary}`),
    '',
    'Common flags: --config FILE (default caretaker.config.yml), --dry-run, --sandbox (built-in sandbox account),',
    '  --region R (only that one of the configured Regions; default: every configured Region),',
    '  --topic-arn ARN (also send the summary by SNS; default $ALERT_TOPIC_ARN), --json.',
    'Real runs use the standard AWS credential chain and honour AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EC2 ...',
    'Exit codes: 0 ok, 1 some items failed, 2 bad input.',
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code: 0 ok, 1 some items failed, 2 bad input. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      console.log(usage());
      return command ? 0 : 2;
    }
    if (command === 'demo') {
      const { values } = parseArgs({ args: rest, options: { config: COMMON.config }, strict: true });
      return await runDemo(values.config ? { file: values.config, config: await loadConfig(values.config) } : undefined);
    }
    if (command === 'validate-config') {
      const { values } = parseArgs({ args: rest, options: COMMON, strict: true });
      const file = values.config ?? 'caretaker.config.yml';
      const config = await loadConfig(file);
      console.log(
        `${file}: valid: ${config.snapshot.policies.length} snapshot policies (${config.snapshot.policies.filter((p) => p.retain).length} with retention), ` +
          `${config.prune.volumes.length} listed prune volumes, ${config.failover.groups.length} failover groups, degraded default ${config.degraded.defaultAction}, ` +
          `${[...config.snapshot.policies, config.prune, config.degraded].filter((x) => x.timeZone).length} schedule(s) in local time`,
      );
      return 0;
    }
    if (command === 'status') {
      const { values } = parseArgs({ args: rest, options: COMMON, strict: true });
      return await runStatus(values);
    }
    const job = JOB_COMMANDS[command];
    if (!job) throw new InputError('command line', [{ path: command, message: `unknown command; try: demo, validate-config, status, ${Object.keys(JOB_COMMANDS).join(', ')}` }]);
    const { values } = parseArgs({ args: rest, options: { ...COMMON, ...job.options }, strict: true });
    if (values.help) {
      console.log(job.usage);
      return 0;
    }
    const run = await cliRun(job.job, values as CommonFlags);
    const report = await job.run(run.ctx, run.config, values);
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else printReport(report, run.config.alerts.subjectPrefix);
    if (run.publishes) await publishReport(run.ctx.alerts, report, run.config.alerts.subjectPrefix);
    return runFailed(report) ? 1 : 0;
  } catch (error) {
    if (error instanceof InputError) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${error.message}\n\n${usage()}`);
      return 2;
    }
    console.error(error instanceof CaretakerError ? error.message : error);
    return 1;
  }
}
