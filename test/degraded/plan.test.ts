import type { Instance } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { DegradedNotice } from '../../shared/degraded/event';
import { clientToken, type DegradedPolicy, planDegraded } from '../../shared/degraded/plan-degraded';

const NOW = new Date('2026-01-10T12:00:00Z');
const POLICY: DegradedPolicy = { defaultAction: 'notify', leaseMinutes: 20, cooldownHours: 24 };

function instance(id: string, tags: Record<string, string> = {}, extra: Partial<Instance> = {}): Instance {
  return {
    InstanceId: id,
    State: { Name: 'running', Code: 16 },
    RootDeviceType: 'ebs',
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    ...extra,
  };
}

function notice(id: string, code = 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED', deadline = '2026-01-20T00:00:00Z'): DegradedNotice {
  return { instanceId: id, code, family: 'retirement', deadline: new Date(deadline), eventKey: `arn:evt/${code}`, source: 'health' };
}

function planOne(inst: Instance | undefined, policy: Partial<DegradedPolicy> = {}, n: DegradedNotice | undefined = notice('i-1')) {
  const instances = new Map(inst ? [[inst.InstanceId!, inst]] : []);
  const [d] = planDegraded({ notices: n ? [n] : [], skipped: [], instances, inProgress: n ? [] : ['i-1'], facts: new Map() }, { ...POLICY, ...policy }, NOW);
  return d!;
}

describe('planDegraded', () => {
  it.each([
    ['no tag, default notify', {}, 'ebs', {}, 'notify', /config default notify/],
    ['no tag, default relaunch', {}, 'ebs', { defaultAction: 'relaunch' }, 'relaunch', /config default relaunch/],
    ['tag stop-start on EBS', { 'caretaker:on-degraded': 'stop-start' }, 'ebs', {}, 'stop-start', /tag caretaker:on-degraded=stop-start/],
    ['tag relaunch overrides default', { 'caretaker:on-degraded': 'relaunch' }, 'ebs', { defaultAction: 'stop-start' }, 'relaunch', /tag caretaker:on-degraded=relaunch/],
    ['tag stop-start on instance store → notify', { 'caretaker:on-degraded': 'stop-start' }, 'instance-store', {}, 'notify', /needs an EBS root device/],
    ['default stop-start on instance store → notify', {}, 'instance-store', { defaultAction: 'stop-start' }, 'notify', /needs an EBS root device/],
    ['tag relaunch on instance store', { 'caretaker:on-degraded': 'relaunch' }, 'instance-store', {}, 'relaunch', /tag/],
    ['unknown tag value → notify', { 'caretaker:on-degraded': 'reboot' }, 'ebs', { defaultAction: 'relaunch' }, 'notify', /'reboot' is not one of/],
  ] as const)('%s', (_name, tags, root, policy, action, reason) => {
    const d = planOne(instance('i-1', tags, { RootDeviceType: root }), policy);
    expect(d.action).toBe(action);
    expect(d.reason).toMatch(reason);
  });

  it.each([
    ['Auto Scaling member', instance('i-1', { 'aws:autoscaling:groupName': 'web-asg', 'caretaker:on-degraded': 'relaunch' }), /member of Auto Scaling group web-asg/],
    ['unknown instance', undefined, /not found in this account and Region/],
    ['terminated', instance('i-1', {}, { State: { Name: 'terminated', Code: 48 } }), /already terminated/],
    ['stopped', instance('i-1', {}, { State: { Name: 'stopped', Code: 80 } }), /instance is stopped, not running/],
    [
      'in progress within the lease (another run)',
      instance('i-1', { 'caretaker:remediation': 'relaunch:in-progress', 'caretaker:remediation-at': '2026-01-10T11:50:00Z' }),
      /relaunch in progress since 2026-01-10T11:50:00.000Z \(another run\)/,
    ],
    ['done within the cooldown', instance('i-1', { 'caretaker:remediation': 'stop-start:done', 'caretaker:remediation-at': '2026-01-10T06:00:00Z' }), /already handled \(stop-start\)/],
    ['notified within the cooldown', instance('i-1', { 'caretaker:remediation': 'notify:done', 'caretaker:remediation-at': '2026-01-10T06:00:00Z' }), /already handled \(notify\)/],
    ['failed before', instance('i-1', { 'caretaker:remediation': 'relaunch:failed', 'caretaker:remediation-at': '2026-01-10T06:00:00Z' }), /previous relaunch failed.*remove tag/],
    [
      'failed before with a non-transient error',
      instance('i-1', { 'caretaker:remediation': 'relaunch:failed', 'caretaker:remediation-error': 'InvalidParameterValue', 'caretaker:remediation-failures': '1' }),
      /previous relaunch failed \(InvalidParameterValue\); remove tag/,
    ],
    [
      'failed three times, transient or not',
      instance('i-1', { 'caretaker:remediation': 'relaunch:failed', 'caretaker:remediation-error': 'RequestLimitExceeded', 'caretaker:remediation-failures': '3' }),
      /previous relaunch failed \(RequestLimitExceeded\); remove tag/,
    ],
  ])('skips: %s', (_name, inst, reason) => {
    const d = planOne(inst, { defaultAction: 'relaunch' });
    expect(d.action).toBe('skip');
    expect(d.reason).toMatch(reason);
  });

  it('retries by itself a relaunch that failed on a transient error (throttling, 5xx, capacity), with a new token', () => {
    const failedOnce = instance('i-1', {
      'caretaker:on-degraded': 'relaunch',
      'caretaker:remediation': 'relaunch:failed',
      'caretaker:remediation-error': 'InsufficientInstanceCapacity',
      'caretaker:remediation-failures': '1',
    });
    const retry = planOne(failedOnce, {});
    const first = planOne(instance('i-1', { 'caretaker:on-degraded': 'relaunch' }), {});
    expect(retry.action).toBe('relaunch');
    expect((retry.payload as { token: string }).token).not.toBe((first.payload as { token: string }).token);
  });

  it('acts again once the cooldown of a done remediation has passed', () => {
    const d = planOne(instance('i-1', { 'caretaker:remediation': 'stop-start:done', 'caretaker:remediation-at': '2026-01-08T00:00:00Z' }), { defaultAction: 'stop-start' });
    expect(d.action).toBe('stop-start');
  });

  it('resumes an in-progress remediation whose lease ran out, with the token stored on the instance', () => {
    const inst = instance('i-1', {
      'caretaker:remediation': 'relaunch:in-progress',
      'caretaker:remediation-at': '2026-01-10T11:00:00Z',
      'caretaker:remediation-token': 'caretaker-stored',
    });
    const d = planOne(inst, {}, undefined);
    expect(d).toMatchObject({ action: 'relaunch', reason: expect.stringMatching(/resuming relaunch cut off/) });
    expect(d.payload).toMatchObject({ resume: true, token: 'caretaker-stored' });
  });

  it('resumes a stopped instance mid stop-start (the run was cut between stop and start)', () => {
    const inst = instance('i-1', { 'caretaker:remediation': 'stop-start:in-progress', 'caretaker:remediation-at': '2026-01-10T10:00:00Z' }, { State: { Name: 'stopped', Code: 80 } });
    expect(planOne(inst).action).toBe('stop-start');
  });

  it.each([
    ['AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED', /an instance-store drive is degraded/],
    ['AWS_EC2_SYSTEM_REBOOT_MAINTENANCE_SCHEDULED', /the host will be rebooted/],
    ['instance-retirement', /stopped \(EBS\) or terminated/],
    ['system-status-impaired', /system status check failing/],
  ])('explains event code %s in the reason', (code, reason) => {
    expect(planOne(instance('i-1'), {}, notice('i-1', code)).reason).toMatch(reason);
  });

  it('orders by deadline, keeps parse skips, and gives one decision per instance', () => {
    const instances = new Map([instance('i-a'), instance('i-b')].map((i) => [i.InstanceId!, i]));
    const plan = planDegraded(
      {
        notices: [notice('i-a', 'instance-stop', '2026-01-25T00:00:00Z'), notice('i-b', 'instance-stop', '2026-01-15T00:00:00Z'), notice('i-a', 'system-reboot', '2026-01-30T00:00:00Z')],
        skipped: [{ target: 'vol-1', reason: 'not an EC2 instance' }],
        instances,
        inProgress: [],
        facts: new Map(),
      },
      POLICY,
      NOW,
    );
    expect(plan.map((d) => d.target)).toEqual(['vol-1', 'i-b', 'i-a']);
    expect(plan[2]!.reason).toMatch(/deadline 2026-01-25/);
  });

  it('derives a ClientToken of at most 64 characters from (event, instance, attempt)', () => {
    const a = clientToken('arn:aws:health:us-east-1::event/EC2/X/Y', 'i-0123456789abcdef0', 0);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(clientToken('arn:aws:health:us-east-1::event/EC2/X/Y', 'i-0123456789abcdef0', 0)).toBe(a);
    expect(clientToken('arn:aws:health:us-east-1::event/EC2/X/Y', 'i-0123456789abcdef0', 1)).not.toBe(a);
    expect(clientToken('arn:aws:health:us-east-1::event/EC2/X/Z', 'i-0123456789abcdef0', 0)).not.toBe(a);
  });
});

describe('manualCommand', () => {
  it('gives a stop/wait/start line for EBS and a run-instances line for instance store', async () => {
    const { manualCommand } = await import('../../shared/degraded/apply-notify');
    expect(manualCommand(instance('i-0123456789abcdef0'), 'eu-west-1')).toBe(
      'aws ec2 stop-instances --region eu-west-1 --instance-ids i-0123456789abcdef0 && aws ec2 wait instance-stopped --region eu-west-1 --instance-ids i-0123456789abcdef0 && aws ec2 start-instances --region eu-west-1 --instance-ids i-0123456789abcdef0',
    );
    const store = instance('i-0123456789abcdef0', {}, {
      RootDeviceType: 'instance-store',
      ImageId: 'ami-0123',
      InstanceType: 'm5d.large',
      SubnetId: 'subnet-1',
      SecurityGroups: [{ GroupId: 'sg-1' }, { GroupId: 'sg-2' }],
      KeyName: 'ops',
    });
    expect(manualCommand(store, 'eu-west-1')).toMatch(
      /^aws ec2 run-instances --region eu-west-1 --image-id ami-0123 --instance-type m5d\.large --subnet-id subnet-1 --security-group-ids sg-1 sg-2 --key-name ops --count 1, then move its Elastic IP .* and terminate i-0123456789abcdef0$/,
    );
  });
});
