import type { Clients } from '../aws/clients';
import { errorMessage } from '../aws/errors';
import type { RunReport } from '../engine/types';
import type { Logger } from '../log';
import { type EmfWriter, emitMetrics } from './emit-metrics';
import type { FailoverObservations } from './failover-observer';
import { runMetrics } from './run-metrics';

/** The Region the run worked in: the EC2 client's (Route 53's is always us-east-1). */
export async function regionOf(clients: Clients): Promise<string> {
  try {
    return await clients.ec2.config.region();
  } catch {
    return 'unknown';
  }
}

export interface PublishMetricsOptions {
  service: string;
  write: EmfWriter;
  log: Logger;
  failover?: FailoverObservations;
}

/**
 * Computes and writes the run's metrics, under the report's own Region when it names one (else
 * the EC2 client's): a multi-Region run publishes each Region's report on its own. Metrics never fail a run: an error here is logged, and
 * the summary e-mail still goes out.
 */
export async function publishMetrics(report: RunReport, clients: Clients, options: PublishMetricsOptions): Promise<string[]> {
  try {
    const sets = runMetrics(report, report.region ?? (await regionOf(clients)), options.failover);
    return emitMetrics(sets, { service: options.service, timestamp: new Date(report.finishedAt), write: options.write, log: options.log });
  } catch (error) {
    options.log.error('metrics not emitted', { error: errorMessage(error) });
    return [];
  }
}
