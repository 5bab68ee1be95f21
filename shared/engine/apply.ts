import { errorCode, errorMessage } from '../aws/errors';
import type { Deadline, Decision, ItemResult } from './types';

export interface ApplyOptions {
  /** Items carried out at once. */
  concurrency: number;
  /** Stop starting new items when less than this is left of the time budget. */
  deadline?: Deadline;
  safetyMarginMs?: number;
  /** Called after each item; `done` counts finished items. */
  onResult?(result: ItemResult, done: number): void;
}

export interface ApplyOutcome<P> {
  results: ItemResult[];
  /** Decisions never started because the deadline came near; safe to redo next run. */
  notStarted: Array<Decision<P>>;
}

/** What a worker returns: the outcome of one decision; id and action default to the decision's. */
export type WorkerResult = Omit<ItemResult, 'id' | 'action'> & Partial<Pick<ItemResult, 'id' | 'action'>>;

/**
 * Carries out decisions with bounded concurrency. A worker that throws marks its item `failed`
 * with the AWS error code; it never stops the batch. Throttling is retried by the SDK client
 * (and by the worker where the job needs more), so here a throw is final for that item.
 *
 * @example
 * const { results } = await applyDecisions(plan, (d) => deleteOne(d.payload), { concurrency: 8 });
 */
export async function applyDecisions<P>(
  decisions: Iterable<Decision<P>> | AsyncIterable<Decision<P>>,
  worker: (decision: Decision<P>) => Promise<WorkerResult>,
  options: ApplyOptions,
): Promise<ApplyOutcome<P>> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const margin = options.safetyMarginMs ?? 0;
  const results: ItemResult[] = [];
  const notStarted: Array<Decision<P>> = [];
  const iterator = toAsyncIterator(decisions);
  let stopped = false;

  const next = async (): Promise<Decision<P> | undefined> => {
    const item = await iterator.next();
    return item.done ? undefined : item.value;
  };

  const lane = async (): Promise<void> => {
    for (let decision = await next(); decision; decision = await next()) {
      if (stopped || (options.deadline && options.deadline.remainingMs() < margin)) {
        stopped = true;
        notStarted.push(decision);
        continue;
      }
      let result: ItemResult;
      try {
        const out = await worker(decision);
        result = { id: decision.target, action: decision.action, ...(decision.group ? { group: decision.group } : {}), ...out };
      } catch (error) {
        result = {
          id: decision.target,
          action: decision.action,
          ...(decision.group ? { group: decision.group } : {}),
          outcome: 'failed',
          errorCode: errorCode(error),
          reason: errorMessage(error),
        };
      }
      results.push(result);
      options.onResult?.(result, results.length);
    }
  };

  await Promise.all(Array.from({ length: concurrency }, lane));
  return { results, notStarted };
}

function toAsyncIterator<T>(source: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (Symbol.asyncIterator in source) return (source as AsyncIterable<T>)[Symbol.asyncIterator]();
  const it = (source as Iterable<T>)[Symbol.iterator]();
  return { next: async () => it.next() };
}
