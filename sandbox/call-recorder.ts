import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceName } from './errors';
import { type IamRequest, iamRequests, type IamState, UnmappedOperationError } from './iam-requests';

/** Where the IAM call log goes (test/iam reads it): set by vitest.config.ts for the whole suite. */
export const CALL_LOG_ENV = 'CARETAKER_IAM_CALL_LOG';

/** The functions whose roles authorize calls, by the shared/ folder of the job that made them. */
const FUNCTION_OF: Record<string, string> = {
  snapshot: 'snapshot-volumes',
  prune: 'prune-snapshots',
  failover: 'dns-failover',
  degraded: 'replace-degraded',
  // Every function publishes its summary through shared/alerts.
  alerts: '*',
};

const RECORDERS = new Map<string, CallRecorder>();

/** One line of the call log: which function's role AWS would check, for which request. */
export interface CallLogEntry {
  fn: string;
  call: string;
  request?: IamRequest;
  /** An operation without an IAM mapping: the IAM test fails naming it. */
  unmapped?: string;
}

/**
 * Records, while tests run, the IAM requests AWS would evaluate for every call the job code
 * makes. The caller is found from the stack (the `shared/<job>/` frame of the await chain); calls
 * a test makes directly (seeding, sandbox tests) have no such frame and are not the product's, so
 * they are left out. Requests that differ only in resource ids or incidental tag values are
 * recorded once per process, so the log stays small at 100k-snapshot scale.
 */
export class CallRecorder {
  private readonly seen = new Set<string>();
  private readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `calls-${process.pid}-${Date.now().toString(36)}.jsonl`);
  }

  /** The recorder of this process for the directory the environment names (one file and one dedupe set per process). */
  static fromEnv(): CallRecorder | undefined {
    const dir = process.env[CALL_LOG_ENV];
    if (!dir) return undefined;
    let recorder = RECORDERS.get(dir);
    if (!recorder) RECORDERS.set(dir, (recorder = new CallRecorder(dir)));
    return recorder;
  }

  record(service: ServiceName, operation: string, input: Record<string, unknown>, state: IamState): void {
    const fn = callerFunction();
    if (!fn) return;
    const call = `${service}:${operation}`;
    let entries: CallLogEntry[];
    try {
      entries = iamRequests(service, operation, input, state).map((request) => ({ fn, call, request }));
    } catch (error) {
      if (!(error instanceof UnmappedOperationError)) throw error;
      entries = [{ fn, call, unmapped: error.operation }];
    }
    const fresh = entries.filter((e) => {
      const key = shapeKey(e);
      if (this.seen.has(key)) return false;
      this.seen.add(key);
      return true;
    });
    if (fresh.length > 0) appendFileSync(this.file, fresh.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
}

function callerFunction(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const jobs = new Set([...stack.matchAll(/[\\/]shared[\\/](snapshot|prune|failover|degraded|alerts)[\\/]/g)].map((m) => m[1]!));
  const named = [...jobs].filter((j) => j !== 'alerts');
  if (named.length === 1) return FUNCTION_OF[named[0]!];
  return jobs.has('alerts') && named.length === 0 ? FUNCTION_OF.alerts : undefined;
}

/** Condition values that decide a statement; others (times, names, ids) only make requests look different. */
const DECIDING = /caretaker:(managed|keep|remediation|on-degraded|replaces|policy)$|CreateAction|ParentVolume|RootDeviceType|RequestedRegion|route53:|iam:|kms:|TagKeys/;

function shapeKey(e: CallLogEntry): string {
  if (!e.request) return `${e.fn}|${e.unmapped}`;
  const resource = e.request.resource.replace(/\/(i|vol|snap|ami|eni|subnet|sg|eipalloc)-[0-9a-z]+$/, '/$1-*');
  const context = Object.entries(e.request.context)
    .map(([k, v]) => `${k}=${DECIDING.test(k) ? JSON.stringify(v) : '*'}`)
    .sort()
    .join(',');
  return `${e.fn}|${e.request.action}|${resource}|${context}`;
}
