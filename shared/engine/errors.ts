/**
 * The error hierarchy every job and handler uses. Each keeps its `cause` and says which field or
 * limit was at fault, so an alert can be read without the logs.
 */
export class CaretakerError extends Error {
  // Literal names, never `new.target.name`: the bundle is minified, and a class name there is `xi`
  // (GUIDE §3b). Every subclass states its own; test/engine/error-names.test.ts checks it.
  override name = 'CaretakerError';
}

/** One bad field of a config document or event: `path` is dotted (`snapshot.policies[1].name`). */
export interface FieldProblem {
  path: string;
  message: string;
}

/** Invalid input (config, event, CLI flag): never leads to a mutating call. Exit code 2. */
export class InputError extends CaretakerError {
  override name = 'InputError';
  constructor(
    readonly source: string,
    readonly problems: FieldProblem[],
  ) {
    super(`${source} is invalid:\n${problems.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n')}`);
  }
}

/** A plan bigger than its cap: nothing is applied, an alert is sent instead. */
export class BlastRadiusError extends CaretakerError {
  override name = 'BlastRadiusError';
  constructor(
    readonly capName: string,
    readonly cap: number,
    readonly planned: number,
  ) {
    super(`blast-radius cap ${capName}=${cap} exceeded: the plan has ${planned} actions; nothing was done`);
  }
}

/**
 * Thrown by a handler after it has already sent the run's summary, so that Lambda records a failed
 * invocation; the alert middleware does not send a second message for it.
 */
export class JobFailedError extends CaretakerError {
  override name = 'JobFailedError';
  readonly alerted = true;
  constructor(
    readonly job: string,
    readonly why: string,
  ) {
    super(`${job}: ${why}; see the run summary`);
  }
}
