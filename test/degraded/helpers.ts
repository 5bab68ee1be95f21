import { sandboxJobContext } from '../../sandbox/job-context';
import { readFileSync } from 'node:fs';
import { configSchema } from '../../shared/config/schema';
import type { WaiterLimits } from '../../shared/degraded/config';
import type { JobContext } from '../../shared/engine/types';
import { SandboxAccount } from '../../sandbox/account';

export const START = new Date('2026-01-10T00:00:00Z');

/** The function's sample events (events/replace-degraded), in the shapes AWS sends. */
export function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`../../events/replace-degraded/${name}.json`, import.meta.url), 'utf8'));
}

/** Waiters polling every few ms: with timeScale 1000 that is every few sandbox seconds. */
export const FAST_WAITERS: Partial<WaiterLimits> = {
  minDelaySeconds: 0.005,
  maxDelaySeconds: 0.02,
  stoppedSeconds: 3,
  runningSeconds: 3,
  statusOkSeconds: 3,
  imageSeconds: 3,
  attachSeconds: 3,
  forceStopAfterSeconds: 1,
  healthySeconds: 3,
};

/** A sandbox whose clock runs 1000× real time, so the SDK's (real-time) waiters see EC2 move. */
export function fastSandbox(options: { throttling?: boolean } = {}): SandboxAccount {
  return new SandboxAccount({ start: START, timeScale: 1000, ...options });
}

export function config(degraded: Record<string, unknown> = {}) {
  return configSchema.parse({ degraded });
}

export const contextFor = (sandbox: SandboxAccount, overrides: Partial<JobContext> = {}) => sandboxJobContext(sandbox, { runId: 'degraded-test', ...overrides });

/** A Health event for some entities (bare ids), in the real shape. */
export function healthEvent(code: string, entities: string[], extra: { eventArn?: string; startTime?: string; account?: string } = {}) {
  return {
    version: '0',
    id: `evt-${Math.random().toString(16).slice(2)}`,
    'detail-type': 'AWS Health Event',
    source: 'aws.health',
    account: extra.account ?? '123456789012',
    time: '2026-01-10T00:00:00Z',
    region: 'us-east-1',
    resources: entities,
    detail: {
      eventArn: extra.eventArn ?? `arn:aws:health:us-east-1::event/EC2/${code}/${code}_TEST1`,
      service: 'EC2',
      eventTypeCode: code,
      eventTypeCategory: 'scheduledChange',
      statusCode: 'upcoming',
      startTime: extra.startTime ?? 'Sat, 24 Jan 2026 00:00:00 GMT',
      page: '1',
      totalPages: '1',
      eventRegion: 'us-east-1',
      affectedAccount: extra.account ?? '123456789012',
      affectedEntities: entities.map((entityValue) => ({ entityValue })),
    },
  };
}
