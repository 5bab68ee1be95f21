import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { codeInfo, HEALTH_EVENT_CODES, healthEventPattern, SCHEDULED_EVENT_CODES } from '../../shared/degraded/event-codes';

const { degradedEvents } = createRequire(import.meta.url)('../../deploy/schedules.cjs');

describe('degraded-host event codes', () => {
  it('cover the AWS Health EC2 codes real accounts receive, instance and Dedicated Host', () => {
    expect(Object.keys(HEALTH_EVENT_CODES)).toEqual(
      expect.arrayContaining([
        'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED',
        'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_EXPEDITED',
        'AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED',
        'AWS_EC2_INSTANCE_RETIREMENT_EXPEDITED',
        'AWS_EC2_INSTANCE_TERMINATION_SCHEDULED',
        'AWS_EC2_INSTANCE_STOP_SCHEDULED',
        'AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED',
        'AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED',
        'AWS_EC2_INSTANCE_REBOOT_FLEXIBLE_MAINTENANCE_SCHEDULED',
        'AWS_EC2_SYSTEM_REBOOT_MAINTENANCE_SCHEDULED',
        'AWS_EC2_MAINTENANCE_SCHEDULED',
        'AWS_EC2_INSTANCE_POWER_MAINTENANCE_SCHEDULED',
        'AWS_EC2_PERSISTENT_INSTANCE_POWER_MAINTENANCE_SCHEDULED',
        'AWS_EC2_INSTANCE_NETWORK_MAINTENANCE_SCHEDULED',
        'AWS_EC2_DEDICATED_HOST_RETIREMENT_SCHEDULED',
        'AWS_EC2_DEDICATED_HOST_ACCESSREVOKED_RETIREMENT_SCHEDULED',
        'AWS_EC2_DEDICATED_HOST_MAINTENANCE_SCHEDULED',
        'AWS_EC2_DEDICATED_HOST_POWER_MAINTENANCE_SCHEDULED',
        'AWS_EC2_DEDICATED_HOST_NETWORK_MAINTENANCE_SCHEDULED',
      ]),
    );
  });

  it('map every code to a family, a consequence, the entity it names and what the job should do', () => {
    for (const [code, info] of Object.entries({ ...HEALTH_EVENT_CODES, ...SCHEDULED_EVENT_CODES })) {
      expect(info, code).toEqual({
        family: expect.stringMatching(/^(retirement|stop|drive-degraded|reboot|maintenance)$/),
        consequence: expect.stringMatching(/^.{20,}$/),
        entity: code.includes('DEDICATED_HOST') ? 'dedicated-host' : 'instance',
        // A Dedicated Host's instances are the owner's placement: the job reports, never moves them.
        response: code.includes('DEDICATED_HOST') ? 'notify' : 'replace',
      });
      expect(codeInfo(code)).toBe(info);
    }
  });

  it('are exactly the codes of the AWS Health rule deployed with the stack', () => {
    const rule = degradedEvents().find((e: { eventBridge?: unknown }) => e.eventBridge).eventBridge.pattern;
    expect(rule).toEqual(healthEventPattern());
    expect(rule.detail.eventTypeCode).toEqual(Object.keys(HEALTH_EVENT_CODES));
    expect(rule).toMatchObject({ source: ['aws.health'], 'detail-type': ['AWS Health Event'], detail: { service: ['EC2'] } });
  });
});
