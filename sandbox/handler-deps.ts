import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { snsAlertSink } from '../shared/alerts/sink';
import type { Clients } from '../shared/aws/clients';
import { clientsPerRegion } from '../shared/aws/lazy-clients';
import type { Config } from '../shared/config/schema';
import type { RunReport } from '../shared/engine/types';
import type { HandlerDeps } from '../shared/lambda/handler';
import { silentLogger, type Logger } from '../shared/log';
import type { EmfWriter } from '../shared/metrics/emit-metrics';
import type { SandboxAccount } from './account';

/**
 * Handler deps that run a real Lambda handler against the sandbox account. The handler returns
 * its compact summary; `reports` collects each run's full report (`lastReport()` the newest).
 */
export function sandboxDeps(
  sandbox: SandboxAccount,
  config: Config,
  topicArn: string,
  log: Logger = silentLogger,
  emf: EmfWriter = () => undefined,
): HandlerDeps & { reports: RunReport[]; lastReport(): RunReport } {
  const perRegion = clientsPerRegion((region) => sandbox.clients({ region }), { region: sandbox.region, clients: sandbox.clients() });
  const regional = (region = sandbox.region): Clients => perRegion(region);
  const reports: RunReport[] = [];
  return {
    reports,
    lastReport: () => {
      const last = reports[reports.length - 1];
      if (!last) throw new Error('the handler has not finished a run');
      return last;
    },
    onReport: (report) => void reports.push(report),
    clients: regional,
    config: async () => config,
    alerts: (c) => snsAlertSink(c.sns, topicArn),
    now: () => sandbox.clock.now(),
    sleep: sandbox.clock.sleep,
    nowMs: () => sandbox.clock.nowMs(),
    log,
    emf,
    metricsService: () => 'ec2-caretaker-sandbox',
    dashboardName: () => 'ec2-caretaker-sandbox',
  };
}

/** A Lambda context with a time budget, as the runtime would pass. */
export function lambdaContext(functionName: string, budgetMs = 900_000, nowMs: () => number = Date.now): Context {
  const start = nowMs();
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'sandbox',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => budgetMs - (nowMs() - start),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
