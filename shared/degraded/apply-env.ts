import type { RateLimiter } from '../engine/rate-limit';
import type { ActionNeeded, JobContext } from '../engine/types';
import type { DegradedConfig, WaiterLimits } from './config';

/** What every apply step of the degraded job shares within one run. */
export interface ApplyEnv {
  config: DegradedConfig;
  waiters: WaiterLimits;
  /** Paces RunInstances inside its 5-burst / 2-per-second bucket. */
  runPacer: RateLimiter;
  region: string;
  /** What a person must act on, collected across workers for the run's ACTION NEEDED list. */
  actionNeeded: ActionNeeded[];
}

/** The time a step happens, on the clock `sleep` runs on (the run's `now` is its start). */
export function stepTime(ctx: Pick<JobContext, 'nowMs'>): Date {
  return new Date(ctx.nowMs());
}

/** An error that keeps the AWS code of its cause but says which step failed. */
export function stepError(step: string, cause: unknown, extra = ''): Error {
  const e = cause as { name?: string; message?: string };
  // EC2 encodes why a call was denied; only the role's owner can read it.
  const hint = e?.name === 'UnauthorizedOperation' && !String(e.message).includes('decode-authorization-message') ? ' (read why: aws sts decode-authorization-message --encoded-message <the encoded message>)' : '';
  const err = new Error(`${step} failed: ${String(e?.message ?? cause).split('\n')[0]}${hint}${extra}`, { cause });
  err.name = e?.name && e.name !== 'Error' ? e.name : 'StepFailed';
  return err;
}
