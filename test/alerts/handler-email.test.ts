import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/prune-snapshots';
import type { Logger } from '../../shared/log';
import { buildDemoAccount } from '../../sandbox/demo-account';
import { lambdaContext, sandboxDeps } from '../../sandbox/handler-deps';

describe('the e-mail of a deployed run', () => {
  it('says where the full detail is, and the log really has every item under the run id', async () => {
    const { sandbox, config, topicArn } = buildDemoAccount();
    const logged: Array<{ message: string; extra: Record<string, unknown> }> = [];
    const log: Logger = { debug() {}, warn() {}, error() {}, info: (message, ...extra) => void logged.push({ message, extra: Object.assign({}, ...extra) }) };
    const deps = sandboxDeps(sandbox, config, topicArn, log);
    await makeHandler(deps)({ time: '2026-11-22T04:00:00Z' }, lambdaContext('caretaker-test-prune-snapshots'));
    const report = deps.lastReport();

    const body = sandbox.sns.messages[0]!.message;
    expect(body.split('\n')[0]).toBe('VERDICT: OK: 98 done, 22 skipped.');
    expect(body).toContain(`every item: CloudWatch Logs /aws/lambda/caretaker-test-prune-snapshots, filter { $.runId = "${report.runId}" }`);
    expect(body).toContain('dashboard: https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/ec2-caretaker-sandbox');
    expect(body).toContain('  ... and 48 more done');

    const parts = logged.filter((l) => l.message === 'run detail');
    expect(parts.every((p) => p.extra.runId === report.runId)).toBe(true);
    const items = parts.flatMap((p) => p.extra.items as Array<{ id: string }>);
    expect(items.map((i) => i.id).sort()).toEqual(report.results.map((r) => r.id).sort());
  });
});
