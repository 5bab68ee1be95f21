import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { snsAlertSink } from '../shared/alerts/sink';
import type { Config } from '../shared/config/schema';
import type { HandlerDeps } from '../shared/lambda/handler';
import { silentLogger, type Logger } from '../shared/log';
import type { EmfWriter } from '../shared/metrics/emit-metrics';
import type { SandboxAccount } from './account';

/** Handler deps that run a real Lambda handler against the sandbox account. */
export function sandboxDeps(sandbox: SandboxAccount, config: Config, topicArn: string, log: Logger = silentLogger, emf: EmfWriter = () => undefined): HandlerDeps {
  const clients = sandbox.clients();
  return {
    clients: () => clients,
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
