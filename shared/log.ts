import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

/** The part of a logger the jobs use; Powertools' Logger satisfies it, so does a silent one. */
export interface Logger {
  debug(message: string, ...extra: Array<Record<string, unknown>>): void;
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

export function lambdaLogger(serviceName: string): Logger {
  return new PowertoolsLogger({ serviceName });
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
