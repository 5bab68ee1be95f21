import { makeHandler as pruneHandler } from '../functions/prune-snapshots';
import { makeHandler as degradedHandler } from '../functions/replace-degraded';
import { makeHandler as snapshotHandler } from '../functions/snapshot-volumes';
import type { Config } from '../shared/config/schema';
import type { CaretakerHandler } from '../shared/lambda/handler';
import type { RunReport } from '../shared/engine/types';
import { reportOutcomes } from '../shared/alerts/format';
import { buildDemoAccount } from '../sandbox/demo-account';
import { demoHealthEvent } from '../sandbox/demo-degraded';
import { lambdaContext, sandboxDeps } from '../sandbox/handler-deps';
import { runFailoverDemo } from './demo-failover';
import { bold, DEMO_EMAIL_LINES, dim, printEmail } from './output';
import { compactEmf, renderDashboard } from './dashboard-text';
import { completionEventOf, regionLines } from './demo-regions';

interface DemoStep {
  title: string;
  explain: string;
  functionName: string;
  handler: CaretakerHandler;
  /** The event, or a function making it when the step starts (events that earlier steps cause). */
  event: unknown;
}

/**
 * `caretaker demo`: builds the sandbox account and runs every job through its real Lambda
 * handler (same event parsing, config validation, job code and SNS summary as in AWS), then shows
 * the e-mails the alert topic received.
 */
export async function runDemo(config?: { file: string; config: Config }): Promise<number> {
  const demo = buildDemoAccount();
  const { sandbox } = demo;
  // --config FILE: your document against the demo fleet (steps naming policies you lack fail, and say so).
  // Every handler's EMF metric lines, as CloudWatch Logs would receive them.
  const emf: string[] = [];
  const deps = sandboxDeps(sandbox, config?.config ?? demo.config, demo.topicArn, undefined, (line) => emf.push(line));
  const appId = [...sandbox.ec2.instances.values()].find((i) => i.data.Tags?.some((t) => t.Key === 'Name' && t.Value === 'app-1'))!.data.InstanceId!;
  console.log(bold('EC2 Caretaker demo: a sandbox account, the real Lambda handlers, no AWS needed.'));
  console.log(dim(`Account ${sandbox.accountId} in ${sandbox.regionNames.join(' and ')} (the stack is deployed in ${sandbox.region}), sandbox time ${sandbox.clock.now().toISOString()}`));
  for (const line of demo.inventory) console.log(`  ${line}`);
  if (config) console.log(dim(`Config: ${config.file} (instead of the demo's own)`));
  console.log('');

  const steps: DemoStep[] = [
    {
      title: 'Snapshot: the daily policy fires at 03:00',
      explain: 'EventBridge invokes snapshot-volumes with { policy, time }; one CreateSnapshots per instance, tagged at creation.',
      functionName: 'caretaker-demo-snapshot-volumes',
      handler: snapshotHandler(deps),
      event: { policy: 'daily', time: '2026-11-22T03:00:00Z' },
    },
    {
      title: 'Snapshot: EventBridge delivers the same event again (at-least-once delivery)',
      explain: 'The slot tag makes the second delivery a no-op.',
      functionName: 'caretaker-demo-snapshot-volumes',
      handler: snapshotHandler(deps),
      event: { policy: 'daily', time: '2026-11-22T03:00:00Z' },
    },
    {
      title: 'Snapshot: application-consistent policy for the database',
      explain: 'The SSM document freezes the file system (action=pre), the snapshot is taken, then it thaws (action=post).',
      functionName: 'caretaker-demo-snapshot-volumes',
      handler: snapshotHandler(deps),
      event: { policy: 'db-consistent', time: '2026-11-22T02:30:00Z' },
    },
    {
      title: "Copy: db-1's snapshots complete, EBS tells snapshot-volumes, the copies to eu-west-1 start",
      explain:
        'db-consistent has copyTo eu-west-1: on EBS\'s completion event the function copies each completed snapshot once (found by its caretaker:copy-of tag), tagged and pruned there by its own retain (keepLast 7).',
      functionName: 'caretaker-demo-snapshot-volumes',
      handler: snapshotHandler(deps),
      event: () => completionEventOf(sandbox, 'db-consistent'),
    },
    {
      title: 'Prune: dry run of the daily retention',
      explain: 'Lists every snapshot it would delete with the rule that condemned it, and every survivor with the rule that keeps it.',
      functionName: 'caretaker-demo-prune-snapshots',
      handler: pruneHandler(deps),
      event: { dryRun: true },
    },
    {
      title: 'Prune: the daily schedule fires',
      explain:
        "Deletes, paced to the DeleteSnapshot bucket, what no rule keeps; the AMI snapshot, the caretaker:keep one and today's are kept. Monthly snapshots older than 30 days move to the archive tier (ModifySnapshotTier); eu-west-1's copies are pruned there by their own retain.",
      functionName: 'caretaker-demo-prune-snapshots',
      handler: pruneHandler(deps),
      event: { time: '2026-11-22T04:00:00Z' },
    },
    {
      title: 'Degraded host: AWS Health announces the retirement of app-1',
      explain:
        'replace-degraded relaunches it (tag caretaker:on-degraded=relaunch): AMI of app-1, RunInstances with a ClientToken, wait running + status ok, move the Elastic IP and app.example.com, stop the old one. (Sandbox EC2 boots in ~1 s.)',
      functionName: 'caretaker-demo-replace-degraded',
      handler: degradedHandler(deps),
      event: demoHealthEvent(sandbox, appId),
    },
    {
      title: 'Degraded host: the same Health event arrives again (at-least-once delivery)',
      explain: 'The remediation tags on app-1 make it a no-op; had it arrived mid-way, the ClientToken would return the same replacement.',
      functionName: 'caretaker-demo-replace-degraded',
      handler: degradedHandler(deps),
      event: { ...demoHealthEvent(sandbox, appId), id: '0f9e8d7c-6b5a-4f3e-8d2c-000000000002' },
    },
  ];

  let failed = 0;
  for (const [index, step] of steps.entries()) {
    console.log(bold(`${index + 1}. ${step.title}`));
    console.log(dim(`   ${step.explain}`));
    const mailbox = sandbox.sns.messages.length;
    const metrics = emf.length;
    const calls = sandbox.calls.length;
    try {
      await step.handler(typeof step.event === 'function' ? step.event() : step.event, lambdaContext(step.functionName));
      // The handler returns its compact summary; the demo reads the run's full report.
      const report: RunReport = deps.lastReport();
      const counts = reportOutcomes(report);
      console.log(`   → ${counts.done} done, ${counts.skipped} skipped, ${counts.failed} failed; ${sandbox.calls.length - calls} AWS API calls`);
      // Every real run logs its metrics (a dry run changes nothing and measures nothing).
      if (!report.dryRun && emf.length === metrics) {
        failed++;
        console.log('   → no metric line was logged for this run');
      }
    } catch (error) {
      failed++;
      console.log(`   → the invocation failed: ${(error as Error).message}`);
    }
    for (const line of emf.slice(metrics)) console.log(dim(`   metric ${compactEmf(line)}`));
    for (const m of sandbox.sns.messages.slice(mailbox)) printEmail(m.subject, m.message, DEMO_EMAIL_LINES);
  }
  // Failover has its own stage (two live HTTP servers, real time), after the account's jobs.
  failed += await runFailoverDemo(steps.length + 1, (line) => emf.push(line));
  const groups = [...new Set(emf.map((l) => JSON.parse(l).Group as string | undefined).filter(Boolean))].map((name) => ({ name }));
  console.log(bold('The stack\'s CloudWatch dashboard, drawn from these runs\' metrics (deploy/dashboard.cjs panels)'));
  for (const line of renderDashboard({ ...(config?.config ?? demo.config), failover: { groups } }, emf, sandbox.region)) console.log(`  ${line}`);
  console.log('');
  const snapshots = [...sandbox.ec2.snapshots.values()].length;
  console.log(bold('Account afterwards'));
  const app = sandbox.ec2.requireInstance(appId);
  const replacedBy = app.Tags?.find((t) => t.Key === 'caretaker:replaced-by')?.Value;
  const eip = [...sandbox.ec2.addresses.values()].find((a) => a.data.PublicIp === '52.20.0.10')?.data;
  const zone = [...sandbox.route53.zones.keys()][0];
  const record = zone ? sandbox.route53.record(zone, 'app.example.com', 'A') : undefined;
  console.log(`  app-1 ${appId} is ${app.State?.Name}, replaced by ${replacedBy ?? 'nothing'}; Elastic IP 52.20.0.10 → ${eip?.InstanceId ?? 'unassociated'}; app.example.com A ${record?.ResourceRecords?.[0]?.Value ?? 'missing'} (TTL ${record?.TTL ?? '-'}).`);
  console.log(`  ${snapshots} snapshot(s) in ${sandbox.region}, ${sandbox.sns.messages.length} alert e-mail(s), ${sandbox.calls.length} API calls, ${sandbox.mutatingCalls().length} of them mutating.`);
  console.log(bold('Per Region (what `caretaker status` shows in full)'));
  for (const line of await regionLines(sandbox, config?.config ?? demo.config)) console.log(`  ${line}`);
  return failed > 0 ? 1 : 0;
}
