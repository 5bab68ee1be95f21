import type { Clients } from '../aws/clients';
import type { AlertSink } from '../alerts/sink';
import type { Logger } from '../log';

/** The four jobs of the suite; also the `job` field of every report. */
export type JobName = 'snapshot' | 'prune' | 'degraded' | 'failover';

/** What the planner decided for one target, and why. `action: 'skip'` decisions are never applied. */
export interface Decision<P = unknown> {
  target: string;
  action: string;
  reason: string;
  payload: P;
  /** The policy (or failover group) the decision belongs to: summaries and metrics count per group. */
  group?: string;
  /** The Region the target is in; set on the items of a run that covers several Regions (shared/engine/regions.ts). */
  region?: string;
}

export type Outcome = 'done' | 'skipped' | 'failed';

/** One result per item of a run. */
export interface ItemResult {
  id: string;
  action: string;
  outcome: Outcome;
  reason: string;
  errorCode?: string;
  /** Extra facts worth showing in the summary (snapshot ids, new instance id, ...). */
  details?: Record<string, string | number | boolean>;
  /** The policy (or failover group) of the item, copied from its decision. */
  group?: string;
  /** The Region of the item, in a run that covers several Regions. */
  region?: string;
}

/** What a run did, in full; the SNS summary and the CLI output are made from it. */
export interface RunReport {
  job: JobName;
  runId: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  /** Every decision of the plan (skips included); in a dry run this is what is reported. */
  plan: Array<Omit<Decision, 'payload'>>;
  /**
   * Plan entries counted instead of listed (per group and action), for runs too large to hold a
   * plan entry per item: prune lists its plan only in dry runs. The whole plan is `plan` plus these.
   */
  planCounts?: PlanCount[];
  /** One per applied decision (empty in a dry run) plus skips, which are results too. */
  results: ItemResult[];
  /**
   * Results counted instead of listed (per group, action and outcome): prune counts the snapshots
   * it keeps outside dry runs. Every result of the run is `results` plus these.
   */
  resultCounts?: ResultCount[];
  /** Decisions not started because the time budget ran out; the next run picks them up. */
  remaining: number;
  /** Free-form lines for the summary: totals, fallbacks, warnings. */
  notes: string[];
  /**
   * What a person must act on (a stale volume, a snapshot in `error`, an instance left stopped):
   * the summary shows these first, each with what to do, and never cuts them.
   */
  actionNeeded?: ActionNeeded[];
  /** Set when the run refused to act (blast-radius cap) or could not describe the account. */
  error?: { code: string; message: string };
  /**
   * The Region the run worked in, when the job knows it: metrics are emitted under it. Without it
   * the handler uses its EC2 client's Region (one report per Region either way).
   */
  region?: string;
  /** What the run read about its groups' backups beyond its items: metrics and the summary show it. */
  measures?: GroupMeasures[];
  /**
   * The Regions a run over several Regions covered, each with its own backlog and error (a Region
   * that failed); absent in a single-Region run. Every item of such a run carries its `region`.
   */
  regions?: RegionPart[];
}

/**
 * Figures of one policy that the describe step read anyway (no extra API call), for metrics.
 * An absent field was not measured (not zero): no metric value is emitted for it.
 */
export interface GroupMeasures {
  group: string;
  /** The Region measured, in a run over several Regions. */
  region?: string;
  /**
   * Snapshots of the policy that completed since the last counted slot, up to this one (counted once:
   * by the first run of a slot that makes snapshots, see shared/snapshot/completion-count.ts).
   */
  snapshotsCompleted?: number;
  /**
   * The worst volume's backup age: how long ago its newest completed snapshot started (or its first
   * attempt, when none completed), the largest over the volumes the run covers.
   */
  worstBackupAgeMs?: number;
  /** Volumes that age was measured over. */
  volumes?: number;
  /** False when the worst volume has no completed snapshot (its age counts from its first attempt). */
  worstCompleted?: boolean;
  /** The group's freshness guard: an age above this is a stale volume (ACTION NEEDED). */
  staleAfterMs?: number;
}

/** One Region's part of a run over several Regions. */
export interface RegionPart {
  region: string;
  /** Decisions of this Region not started (time budget). */
  remaining: number;
  /** Why this Region did nothing, if it did nothing. */
  error?: { code: string; message: string };
}

/** How many plan entries of one group and action a report counts without listing them. */
export interface PlanCount {
  group?: string;
  region?: string;
  action: string;
  count: number;
}

/** How many results of one group, action and outcome a report counts without listing them. */
export interface ResultCount {
  group?: string;
  region?: string;
  action: string;
  outcome: Outcome;
  count: number;
}

/** One item of a run's ACTION NEEDED list. */
export interface ActionNeeded {
  /** A stable machine-readable kind, for metrics and alarms: `stale-volume`, `snapshot-error`, `instance-stopped`, ... */
  kind: string;
  /** What it is about: `i-0abc… / vol-0def…`, a snapshot id, a group name. */
  subject: string;
  /** What is wrong, with the facts (`newest completed snapshot 2026-11-20T03:00Z, 7 days old`). */
  problem: string;
  /** What the reader should do about it. */
  todo: string;
  /** The Region it is in, in a run that covers several Regions. */
  region?: string;
}

/** Time budget of the invocation (Lambda's `getRemainingTimeInMillis`, or unlimited on the CLI). */
export interface Deadline {
  remainingMs(): number;
}

/** What every job gets from its caller: clients and the clock are inputs, never made inside. */
export interface JobContext {
  /** Clients of the Region the run acts in. */
  clients: Clients;
  /**
   * The Region this context acts in (`clients`' Region), set by the fan-out over Regions
   * (shared/engine/regions.ts); absent in a context built for one Region, which acts in its clients'.
   */
  region?: string;
  /**
   * Enforces a blast-radius cap over the whole run when the run covers several Regions: each
   * Region's part reports its planned count once and learns whether the run's total fits
   * ({@link import('./run').checkRunCap}); absent, the cap applies to this context's plan alone.
   */
  runCap?(planned: number, cap: { name: string; limit: number }): Promise<void>;
  /**
   * Clients of another Region of the same account (cross-Region work: copies, a run fanned out
   * over the configured Regions), built once per Region. Absent where only one Region is reachable.
   */
  clientsIn?(region: string): Clients;
  /** The run's reference time: planners compare against this, never against the wall clock. */
  now: Date;
  dryRun: boolean;
  alerts: AlertSink;
  log: Logger;
  deadline: Deadline;
  /** Waits; the sandbox passes one on its own clock. */
  sleep(ms: number): Promise<void>;
  /** The clock `sleep` runs on, for pacing in apply (rate limits, waits); never used by planners. */
  nowMs(): number;
  /** Called while long runs make progress (the CLI shows it as a line or a bar). */
  progress?(update: string | ProgressUpdate): void;
  /** Identifies this run in logs, tags and client tokens. */
  runId: string;
}

/** Where a long apply stage stands; sent after every item, the CLI decides how often to show it. */
export interface ProgressUpdate {
  job: JobName;
  /** The Region the update is about, in a run over several Regions. */
  region?: string;
  /** What is being done: `delete-snapshot`, `snapshot`. */
  action: string;
  done: number;
  planned: number;
  failed: number;
  /** The AWS API's sustained rate for this action (its token bucket's refill), to compare with. */
  limitPerSecond?: number;
  /**
   * Work bounded by concurrency rather than by a call rate (snapshot copies: 20 in flight per
   * destination Region): how many run now, of the limit, and how many wait for a free slot.
   */
  inFlight?: { now: number; limit: number; waiting: number };
}

export const unlimitedDeadline: Deadline = { remainingMs: () => Number.POSITIVE_INFINITY };

export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
