import type { Instance } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { InstanceFacts } from '../../shared/degraded/choose-action';
import type { DegradedNotice } from '../../shared/degraded/event';
import { codeInfo } from '../../shared/degraded/event-codes';
import { type DegradedPolicy, planDegraded } from '../../shared/degraded/plan-degraded';

const NOW = new Date('2026-01-10T12:00:00Z');
const AUTO: DegradedPolicy = { defaultAction: 'auto', leaseMinutes: 20, cooldownHours: 24 };
const EBS_ONLY: InstanceFacts = { instanceStore: false, autoRecovery: true, stopProtected: false, terminationProtected: false };

function instance(extra: Partial<Instance> = {}, tags: Record<string, string> = {}): Instance {
  return { InstanceId: 'i-1', InstanceType: 'm5.large', State: { Name: 'running', Code: 16 }, RootDeviceType: 'ebs', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })), ...extra };
}

function plan(inst: Instance, code: string, facts: InstanceFacts | null = EBS_ONLY, policy: DegradedPolicy = AUTO) {
  const notice: DegradedNotice = { instanceId: 'i-1', code, family: codeInfo(code)!.family, eventKey: `evt/${code}`, source: 'scan', deadline: new Date('2026-01-20T00:00:00Z') };
  const [d] = planDegraded({ notices: [notice], skipped: [], instances: new Map([['i-1', inst]]), inProgress: [], facts: facts ? new Map([['i-1', facts]]) : new Map() }, policy, NOW);
  return d!;
}

describe('the auto action (AWS guidance per instance kind)', () => {
  it.each([
    ['EBS-only, retirement', instance(), 'instance-retirement', EBS_ONLY, 'stop-start', /AWS recommends stop\/start/],
    ['EBS-only, scheduled stop', instance(), 'instance-stop', EBS_ONLY, 'stop-start', /AWS recommends stop\/start/],
    ['EBS-only, system maintenance', instance(), 'system-maintenance', EBS_ONLY, 'stop-start', /AWS recommends/],
    ['EBS-only, persistent retirement (Health)', instance(), 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED', EBS_ONLY, 'stop-start', /AWS recommends/],
    ['reboot event', instance(), 'system-reboot', EBS_ONLY, 'notify', /scheduled reboot keeps the instance/],
    ['instance reboot event', instance(), 'instance-reboot', EBS_ONLY, 'notify', /scheduled reboot/],
    ['impaired, type with automatic recovery', instance(), 'system-status-impaired', EBS_ONLY, 'notify', /simplified automatic recovery; AWS recovers it/],
    ['impaired, automatic recovery disabled on the instance', instance({ MaintenanceOptions: { AutoRecovery: 'disabled' } }), 'system-status-impaired', EBS_ONLY, 'stop-start', /disabled on the instance/],
    ['impaired, type without automatic recovery', instance(), 'system-status-impaired', { ...EBS_ONLY, autoRecovery: false }, 'stop-start', /no automatic recovery for m5\.large/],
    ['EBS root with instance store (m5d), retirement', instance({ InstanceType: 'm5d.large' }), 'instance-retirement', { ...EBS_ONLY, instanceStore: true }, 'notify', /instance-store volumes, which a stop wipes/],
    ['EBS root with instance store, reboot', instance({ InstanceType: 'm5d.large' }), 'system-reboot', { ...EBS_ONLY, instanceStore: true }, 'notify', /scheduled reboot/],
    ['instance-store root', instance({ RootDeviceType: 'instance-store' }), 'instance-retirement', EBS_ONLY, 'notify', /instance-store root/],
    ['Spot Instance', instance({ InstanceLifecycle: 'spot' }), 'instance-retirement', EBS_ONLY, 'notify', /Spot Instance/],
    ['drive degraded', instance(), 'AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED', EBS_ONLY, 'notify', /instance-store drive is degraded/],
    ['facts unreadable', instance(), 'instance-retirement', null, 'notify', /could not be read/],
  ] as const)('%s → %s', (_name, inst, code, facts, action, why) => {
    const d = plan(inst, code, facts);
    expect(d.action).toBe(action);
    expect(d.reason).toMatch(why);
  });

  it('skips Auto Scaling members whatever the kind', () => {
    expect(plan(instance({}, { 'aws:autoscaling:groupName': 'web' }), 'instance-retirement')).toMatchObject({ action: 'skip', reason: expect.stringMatching(/Auto Scaling group web/) });
  });

  it('lets the per-instance tag override auto, on instance-store data too', () => {
    const d = plan(instance({ InstanceType: 'm5d.large' }, { 'caretaker:on-degraded': 'relaunch' }), 'instance-retirement', { ...EBS_ONLY, instanceStore: true });
    expect(d).toMatchObject({ action: 'relaunch', reason: expect.stringMatching(/tag caretaker:on-degraded=relaunch/) });
  });

  it('turns a stop-start or relaunch of a stop-protected instance into one notice that names the protection', () => {
    const protectedFacts = { ...EBS_ONLY, stopProtected: true };
    const auto = plan(instance(), 'instance-retirement', protectedFacts);
    expect(auto).toMatchObject({ action: 'notify', payload: expect.objectContaining({ attention: 'stop-protected' }) });
    expect(auto.reason).toMatch(/stop protection \(DisableApiStop\) is on, so stop-start cannot stop it/);
    const tagged = plan(instance({}, { 'caretaker:on-degraded': 'relaunch' }), 'instance-retirement', protectedFacts);
    expect(tagged.reason).toMatch(/so relaunch cannot stop it/);
  });

  it('retries the start of an instance a failed stop-start left stopped, then asks a person (URGENT)', () => {
    const left = (failures: string) =>
      instance({ State: { Name: 'stopped', Code: 80 } }, { 'caretaker:remediation': 'stop-start:failed', 'caretaker:remediation-failures': failures, 'caretaker:remediation-error': 'Client.InternalError' });
    const [retry] = planDegraded({ notices: [], skipped: [], instances: new Map([['i-1', left('1')]]), inProgress: ['i-1'], facts: new Map() }, AUTO, NOW);
    expect(retry).toMatchObject({ action: 'stop-start', payload: expect.objectContaining({ resume: true }), reason: expect.stringMatching(/^URGENT: left stopped .*attempt 2 of 3/) });
    const [giveUp] = planDegraded({ notices: [], skipped: [], instances: new Map([['i-1', left('3')]]), inProgress: ['i-1'], facts: new Map() }, AUTO, NOW);
    expect(giveUp).toMatchObject({ action: 'skip', reason: expect.stringMatching(/URGENT.*start it by hand/) });
  });
});
