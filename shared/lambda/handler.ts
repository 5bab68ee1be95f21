import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { alertOnError } from '../alerts/alert-on-error';
import { dashboardUrl, publishReport } from '../alerts/publish-report';
import { type AlertSink, snsAlertSink } from '../alerts/sink';
import type { Clients } from '../aws/clients';
import { type ClientClasses, clientsPerRegion, lazyClients } from '../aws/lazy-clients';
import { loadConfig, parseInput } from '../config/load';
import type { Config } from '../config/schema';
import { InputError, JobFailedError } from '../engine/errors';
import { newRunId, runFailed } from '../engine/run';
import { type JobContext, type JobName, realSleep, type RunReport } from '../engine/types';
import { lambdaLogger, type Logger } from '../log';
import { logRunDetail, type RunSummary, summarizeRun } from './summary';
import { DOCUMENTS_ENV, parseDeployedDocuments, withDeployedDocuments } from '../snapshot/deployed-documents';
import { type EmfWriter, stdoutWriter } from '../metrics/emit-metrics';
import { failoverObserver } from '../metrics/failover-observer';
import { publishMetrics, regionOf } from '../metrics/publish-metrics';
import type { PassEvent } from '../failover/watch-group';

/**
 * Everything a handler takes from its environment. Lambda gets {@link lambdaDeps}; the demo and
 * tests pass the sandbox's. Nothing here is built at import time.
 */
export interface HandlerDeps {
  /** The clients of one Region (default: the function's own), built once per Region. */
  clients(region?: string): Clients;
  config(): Promise<Config>;
  alerts(clients: Clients): AlertSink;
  now(): Date;
  sleep(ms: number): Promise<void>;
  nowMs(): number;
  log: Logger;
  /**
   * Receives the run's full report before the handler returns its compact summary: the demo and
   * tests read every item from it. Lambda passes none (the detail is in the log).
   */
  onReport?(report: RunReport): void;
  /** Where the run's EMF metric lines go (stdout in Lambda); without it, none are written. */
  emf?: EmfWriter;
  /** The metrics' `service` dimension: `<service>-<stage>`, so two stages in one account never mix. */
  metricsService?(): string;
  /** The stack's CloudWatch dashboard, linked from every e-mail. */
  dashboardName?(): string | undefined;
}

/**
 * Deps of a deployed function: the clients it names (built on first use, standard credential
 * chain, adaptive retries), the packaged config file, the SNS topic from the environment.
 */
export function lambdaDeps(service: string, classes: ClientClasses): HandlerDeps {
  const clients = clientsPerRegion((region) => lazyClients(classes, { retryMode: 'adaptive', maxAttempts: 8, region }));
  let config: Promise<Config> | undefined;
  return {
    clients,
    // A rejected load is not cached: a fixed config file needs no cold start to be picked up.
    // The stage's own names of the caretaker SSM documents replace the config's (deploy/ssm-documents.cjs).
    config: () =>
      (config ??= loadConfig(process.env.CARETAKER_CONFIG)
        .then((c) => withDeployedDocuments(c, parseDeployedDocuments(process.env[DOCUMENTS_ENV])))
        .catch((e) => ((config = undefined), Promise.reject(e)))),
    alerts: (c) => {
      const topic = process.env.ALERT_TOPIC_ARN;
      if (!topic) throw new InputError('environment', [{ path: 'ALERT_TOPIC_ARN', message: 'not set' }]);
      return snsAlertSink(c.sns, topic);
    },
    now: () => new Date(),
    sleep: realSleep,
    nowMs: Date.now,
    log: lambdaLogger(service),
    emf: stdoutWriter,
    metricsService: () => process.env.POWERTOOLS_SERVICE_NAME ?? 'ec2-caretaker',
    dashboardName: () => process.env.CARETAKER_DASHBOARD,
  };
}

export interface HandlerSpec<E> {
  /** The function's name in serverless.yml (`snapshot-volumes`), for logs and alerts. */
  name: string;
  job: JobName;
  /** Schema of the event; a mismatch is an {@link InputError} naming the field. */
  event: z.ZodType<E>;
  /** Runs the job; `dryRun` in the context is already resolved from event and config. */
  run(event: E, ctx: JobContext, config: Config, lambda: Context, observe: RunObserver): Promise<RunReport>;
  /** Dry run requested by the event, if any. */
  dryRun?(event: E): boolean | undefined;
}

/** A deployed handler returns the compact {@link RunSummary}, never the full report (6 MB response limit). */
export type CaretakerHandler = (event: unknown, context: Context) => Promise<RunSummary>;

/** What a job may tell the metrics besides its report: the failover watch loop's passes. */
export interface RunObserver {
  failoverPass(event: PassEvent): void;
}

/**
 * Wires a job into a Lambda handler: validate the event and config (bad input → alert, no AWS
 * call), build the context, run, send the one summary, fail the invocation if any item failed.
 */
export function defineHandler<E>(spec: HandlerSpec<E>, deps: HandlerDeps): CaretakerHandler {
  const base = async (raw: unknown, context: Context): Promise<RunSummary> => {
    const event = parseInput(spec.event, raw, `${spec.name} event`);
    const config = await deps.config();
    const clients = deps.clients();
    const now = deps.now();
    const alerts = deps.alerts(clients);
    const ctx: JobContext = {
      clients,
      clientsIn: (region) => deps.clients(region),
      now,
      dryRun: spec.dryRun?.(event) ?? false,
      alerts,
      log: deps.log,
      deadline: { remainingMs: () => context.getRemainingTimeInMillis() },
      sleep: deps.sleep,
      nowMs: deps.nowMs,
      runId: newRunId(spec.job, now),
    };
    const failover = failoverObserver();
    const report = await spec.run(event, ctx, config, context, { failoverPass: failover.onPass });
    const summary = summarizeRun(report);
    deps.log.info('run finished', { ...summary });
    logRunDetail(deps.log, report);
    deps.onReport?.(report);
    if (deps.emf) {
      await publishMetrics(report, clients, { service: deps.metricsService?.() ?? 'ec2-caretaker', write: deps.emf, log: deps.log, failover: failover.observations });
    }
    const region = report.region ?? (await regionOf(clients));
    const dashboard = deps.dashboardName?.();
    await publishReport(alerts, report, config.alerts.subjectPrefix, {
      region,
      logGroup: context.logGroupName,
      dashboardUrl: dashboard ? dashboardUrl(region, dashboard) : undefined,
    });
    if (runFailed(report)) throw new JobFailedError(spec.name, report.error?.message ?? `${summary.counts.failed} item(s) failed`);
    return summary;
  };
  return middy(base).use(alertOnError({ sink: () => deps.alerts(deps.clients()) })) as unknown as CaretakerHandler;
}
