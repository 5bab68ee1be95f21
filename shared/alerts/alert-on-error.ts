import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { errorCode, errorMessage } from '../aws/errors';
import { InputError } from '../engine/errors';
import type { AlertSink } from './sink';

const optionsSchema = z.strictObject({
  /** Resolved lazily so a broken sink setup is itself reported by Lambda, not at import. */
  sink: z.custom<() => AlertSink | Promise<AlertSink>>((v) => typeof v === 'function', {
    error: 'expected a function returning an AlertSink',
  }),
  subjectPrefix: z.string().default('[caretaker]'),
});

export type AlertOnErrorOptions = z.input<typeof optionsSchema>;

/**
 * middy `onError`: sends one alert naming the function, request id and error, then lets middy
 * rethrow. Errors marked `alerted` (the run already sent its summary) are not alerted twice.
 * A failure to alert is logged and never hides the original error.
 */
export function alertOnError(options: AlertOnErrorOptions): MiddlewareObj<unknown, unknown, Error, Context> {
  const opts = optionsSchema.parse(options);
  return {
    onError: async (request) => {
      const error = request.error;
      if (!error || (error as { alerted?: boolean }).alerted) return;
      const fn = request.context?.functionName ?? 'unknown-function';
      const kind = error instanceof InputError ? 'bad input' : 'error';
      try {
        const sink = await opts.sink();
        await sink.publish({
          subject: `${opts.subjectPrefix} ${fn}: ${kind} ${errorCode(error)}`,
          body: [
            `Function: ${fn}`,
            `Request id: ${request.context?.awsRequestId ?? 'unknown'}`,
            `Error: ${errorCode(error)}`,
            '',
            errorMessage(error),
            '',
            error instanceof InputError ? 'No change was made: the input was rejected before any AWS call.' : '',
          ].join('\n'),
        });
      } catch (alertError) {
        console.error(JSON.stringify({ level: 'ERROR', message: 'alert failed', error: errorMessage(alertError) }));
      }
    },
  };
}
