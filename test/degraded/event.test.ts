import { describe, expect, it } from 'vitest';
import { noticesFromHealthEvents, parseDegradedTrigger, type HealthEvent } from '../../shared/degraded/event';
import { HEALTH_EVENT_CODES, healthEventPattern } from '../../shared/degraded/event-codes';
import { InputError } from '../../shared/engine/errors';
import { fixture, healthEvent } from './helpers';

const HOME = { region: 'us-east-1', accountId: '123456789012' };

function parseHealth(raw: unknown): HealthEvent[] {
  const trigger = parseDegradedTrigger(raw);
  if (trigger.kind !== 'health') throw new Error('expected a health trigger');
  return trigger.events;
}

describe('parseDegradedTrigger', () => {
  it('suggests keys of the schema the event claims, never config keys or the key itself', () => {
    const problems = (raw: unknown) => {
      try {
        parseDegradedTrigger(raw);
      } catch (error) {
        return (error as InputError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      throw new Error('expected an InputError');
    };
    // `region` is a config key: the config's keys once suggested "did you mean 'region'?" for it.
    expect(problems({ action: 'scan', region: 'us-east-1' })).toEqual(['region: unknown key']);
    expect(problems({ action: 'scan', instanceIDs: ['i-0123456789abcdef0'] })).toEqual(["instanceIDs: unknown key (did you mean 'instanceIds'?)"]);
  });

  it('reads a persistent-retirement event: bare id, string page numbers, RFC 1123 start time', () => {
    const [event] = parseHealth(fixture('retirement-ebs'));
    expect(event!.detail.page).toBe(1);
    expect(event!.detail.totalPages).toBe(1);
    expect(event!.detail.startTime).toEqual(new Date('2026-01-24T00:00:00Z'));
    const { notices, skipped } = noticesFromHealthEvents([event!], HOME);
    expect(skipped).toEqual([]);
    expect(notices).toEqual([
      expect.objectContaining({ instanceId: 'i-0abcd1111abcd1111', code: 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED', family: 'retirement', source: 'health' }),
    ]);
  });

  it('reads ARN entities without `resources` and a string backupEvent; skips other Regions, accounts and non-instances', () => {
    const events = parseHealth(fixture('retirement-instance-store-arn'));
    expect(events[0]!.detail.backupEvent).toBe(true);
    const { notices, skipped } = noticesFromHealthEvents(events, HOME);
    expect(notices.map((n) => n.instanceId)).toEqual(['i-0abcd2222abcd2222']);
    expect(skipped).toEqual([
      { target: 'i-0abcd3333abcd3333', reason: 'in Region eu-west-1, this job covers us-east-1' },
      { target: 'i-0abcd4444abcd4444', reason: 'in account 999999999999, this job runs in 123456789012' },
      { target: 'vol-0abcd5555abcd5555', reason: 'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED: not an EC2 instance' },
    ]);
  });

  it('keeps an instance of another covered Region as a notice of that Region (issue 15)', () => {
    const events = parseHealth(fixture('retirement-instance-store-arn'));
    const { notices, skipped } = noticesFromHealthEvents(events, { ...HOME, regions: [HOME.region, 'eu-west-1'] });
    expect(notices.map((n) => [n.instanceId, n.region])).toEqual([
      ['i-0abcd2222abcd2222', HOME.region],
      ['i-0abcd3333abcd3333', 'eu-west-1'],
    ]);
    expect(skipped.map((s) => s.target)).toEqual(['i-0abcd4444abcd4444', 'vol-0abcd5555abcd5555']);
  });

  it('reads ISO times, numeric pages, boolean backupEvent and an empty `resources` list', () => {
    const drive = noticesFromHealthEvents(parseHealth(fixture('drive-degraded')), HOME);
    expect(drive.notices[0]).toMatchObject({ family: 'drive-degraded', deadline: new Date('2026-01-10T03:10:09Z') });
    const network = noticesFromHealthEvents(parseHealth(fixture('network-maintenance')), HOME);
    expect(network.notices.map((n) => [n.instanceId, n.family])).toEqual([['i-0abcd9999abcd9999', 'maintenance']]);
    const reboot = noticesFromHealthEvents(parseHealth(fixture('reboot-maintenance')), HOME);
    expect(reboot.notices.map((n) => n.instanceId)).toEqual(['i-0abcd7777abcd7777', 'i-0abcd8888abcd8888']);
  });

  it('collapses duplicates of one event (at-least-once delivery, backup copies) to one notice per instance', () => {
    const raw = fixture('retirement-ebs');
    const copies = [raw, { ...raw, id: 'another-delivery' }, { ...raw, detail: { ...raw.detail, backupEvent: 'true' } }].flatMap(parseHealth);
    const { notices } = noticesFromHealthEvents(copies, HOME);
    expect(notices).toHaveLength(1);
  });

  it('skips unknown codes, other services and closed events with a reason', () => {
    const unknown = healthEvent('AWS_EC2_OPERATIONAL_ISSUE', ['i-0abcd1111abcd1111']);
    const rds = { ...healthEvent('AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED', ['i-0abcd1111abcd1111']) };
    rds.detail = { ...rds.detail, service: 'RDS' };
    const closed = healthEvent('AWS_EC2_INSTANCE_STOP_SCHEDULED', ['i-0abcd1111abcd1111']);
    (closed.detail as Record<string, unknown>).statusCode = 'closed';
    const { notices, skipped } = noticesFromHealthEvents([unknown, rds, closed].flatMap(parseHealth), HOME);
    expect(notices).toEqual([]);
    expect(skipped.map((s) => s.reason)).toEqual([
      'event code AWS_EC2_OPERATIONAL_ISSUE is not a degraded-host code',
      'service RDS is not EC2',
      'the event is closed',
    ]);
  });

  it('throws an InputError naming the field for a malformed Health event', () => {
    const raw = fixture('retirement-ebs');
    raw.detail.startTime = 'next tuesday';
    delete raw.detail.eventArn;
    expect(() => parseDegradedTrigger(raw)).toThrow(InputError);
    expect(() => parseDegradedTrigger(raw)).toThrow(/detail\.eventArn.*\n.*detail\.startTime: expected a date/s);
  });

  it('takes the schedule event and manual scans; rejects anything else naming the field', () => {
    expect(parseDegradedTrigger(fixture('scan-schedule'))).toEqual({ kind: 'scan' });
    expect(parseDegradedTrigger({ action: 'scan', instanceIds: ['i-0abcd1111abcd1111'], dryRun: true })).toEqual({
      kind: 'scan',
      instanceIds: ['i-0abcd1111abcd1111'],
      dryRun: true,
    });
    expect(() => parseDegradedTrigger({ action: 'scan', instanceIds: ['web-1'] })).toThrow(/instanceIds\[0\]|instanceIds\.0/);
    expect(() => parseDegradedTrigger('{"source": "aws.health"')).toThrow(InputError);
  });
});

describe('healthEventPattern', () => {
  it('matches EC2 Health events with every code of the one list', () => {
    expect(healthEventPattern()).toEqual({
      source: ['aws.health'],
      'detail-type': ['AWS Health Event'],
      detail: { service: ['EC2'], eventTypeCode: Object.keys(HEALTH_EVENT_CODES) },
    });
    expect(Object.keys(HEALTH_EVENT_CODES)).toContain('AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED');
  });
});
