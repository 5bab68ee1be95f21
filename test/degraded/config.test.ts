import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../shared/config/load';

describe('degraded config section', () => {
  it('fills safe defaults: auto, stop after relaunch, every 15 minutes', () => {
    const { degraded } = parseConfigText('{}');
    expect(degraded).toMatchObject({ defaultAction: 'auto', afterRelaunch: 'stop', schedule: 'rate(15 minutes)', maxReplacementsPerRun: 5, records: [] });
    expect(degraded.waiters).toMatchObject({ minDelaySeconds: 15, statusOkSeconds: 900 });
  });

  it('fills record defaults (A, TTL 60, public address)', () => {
    const { degraded } = parseConfigText('degraded:\n  records:\n    - { instanceId: i-0123456789abcdef0, hostedZoneId: Z0123456789ABC, name: web.example.com }\n');
    expect(degraded.records[0]).toMatchObject({ type: 'A', ttl: 60, address: 'public' });
  });

  it.each([
    ['degraded:\n  defaultAction: reboot\n', /degraded\.defaultAction: expected one of auto, notify, stop-start, relaunch/],
    ['degraded:\n  afterRelauch: stop\n', /degraded\.afterRelauch: unknown key \(did you mean 'afterRelaunch'\?\)/],
    ['degraded:\n  records:\n    - { hostedZoneId: Z0123456789ABC, name: web.example.com }\n', /degraded\.records\[0\]: a record needs exactly one of instanceId or tags/],
    ['degraded:\n  records:\n    - { instanceId: web-1, hostedZoneId: Z0123456789ABC, name: a.example.com }\n', /degraded\.records\[0\]\.instanceId: expected an instance id/],
    ['degraded:\n  schedule: every 15 minutes\n', /degraded\.schedule: expected rate\(value unit\) or cron/],
    ['degraded:\n  waiters: { minDelaySeconds: 0 }\n', /degraded\.waiters\.minDelaySeconds: expected seconds > 0/],
  ])('rejects %j naming the field', (text, message) => {
    expect(() => parseConfigText(text)).toThrow(message);
  });
});
