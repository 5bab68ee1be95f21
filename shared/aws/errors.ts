/** Helpers to read AWS SDK v3 errors the same way everywhere. */

/** The AWS error code of an SDK error (`RequestLimitExceeded`, `InvalidSnapshot.InUse`, ...). */
export function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { name?: unknown; Code?: unknown; code?: unknown };
    if (typeof e.Code === 'string') return e.Code;
    if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
    if (typeof e.code === 'string') return e.code;
  }
  return 'Error';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Codes that mean "slow down": the SDK retries them itself; jobs also use them to adapt their rate. */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'PriorRequestNotComplete',
  'TooManyRequestsException',
]);

export function isThrottling(error: unknown): boolean {
  return THROTTLING_CODES.has(errorCode(error));
}

/**
 * Codes worth trying again later without a person: throttling, AWS-side faults, timeouts, and a
 * lack of capacity (which moves). A job that failed with one of these may retry on its next run.
 */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  ...THROTTLING_CODES,
  'InternalError',
  'InternalFailure',
  'Unavailable',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'InsufficientInstanceCapacity',
]);
