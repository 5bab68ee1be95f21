import { type Instance, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatReport, reportSubject } from '../../shared/alerts/format';
import { publishReport } from '../../shared/alerts/publish-report';
import { parseDegradedTrigger } from '../../shared/degraded/event';
import { clientToken } from '../../shared/degraded/plan-degraded';
import { runDegraded } from '../../shared/degraded/run-degraded';
import { runFailed } from '../../shared/engine/run';
import type { SandboxAccount } from '../../sandbox/account';
import { lifecycleOf } from '../../sandbox/ec2-lifecycle';
import { FleetBuilder } from '../../sandbox/fleet';
import { config, contextFor, FAST_WAITERS, fastSandbox, healthEvent } from './helpers';
import { tagRecord } from '../../shared/aws/filters';

const RETIREMENT = 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED';
const PROFILE = 'arn:aws:iam::123456789012:instance-profile/web';

interface World {
  sandbox: SandboxAccount;
  web: Instance;
  allocationId: string;
  zoneId: string;
  /** The data volume (the instance's mappings change as volumes move, so it is noted at creation). */
  dataVolume: string;
}

function tagsOf(sandbox: SandboxAccount, id: string): Record<string, string> {
  return tagRecord(sandbox.ec2.requireInstance(id).Tags);
}

function replacementsOf(sandbox: SandboxAccount, id: string): Instance[] {
  return [...sandbox.ec2.instances.values()].map((i) => i.data).filter((i) => i.Tags?.some((t) => t.Key === 'caretaker:replaces' && t.Value === id));
}

/** One web server on a retiring host, with an EIP, user data, an instance profile and a DNS record. */
function world(action: string, options: { eip?: boolean; publicIp?: string } = {}): World {
  const sandbox = fastSandbox();
  const fleet = new FleetBuilder(sandbox);
  const web = fleet.instance({ name: 'web-1', tags: { 'caretaker:on-degraded': action, role: 'web' }, publicIp: options.publicIp, volumes: [{ sizeGiB: 8 }, { sizeGiB: 20 }] });
  sandbox.ec2.requireInstance(web.InstanceId!).IamInstanceProfile = { Arn: PROFILE, Id: 'AIPA0000000000000001' };
  lifecycleOf(sandbox).userData.set(web.InstanceId!, Buffer.from('#!/bin/bash\nsystemctl start web').toString('base64'));
  const allocationId = options.eip === false ? '' : fleet.elasticIp('52.10.0.1', web.InstanceId);
  sandbox.ec2.healthOf(web.InstanceId!).events = [
    { InstanceEventId: 'instance-event-0a1b2c3d4e5f6a7b8', Code: 'instance-retirement', Description: 'The instance is running on degraded hardware', NotBefore: new Date('2026-01-24T00:00:00Z') },
  ];
  const zone = sandbox.route53.addZone('example.com');
  return { sandbox, web, allocationId, zoneId: zone.Id!, dataVolume: web.BlockDeviceMappings![1]!.Ebs!.VolumeId! };
}

function cfg(w: World, degraded: Record<string, unknown> = {}) {
  return config({ records: [{ instanceId: w.web.InstanceId, hostedZoneId: w.zoneId, name: 'web.example.com', address: 'public' }], ...degraded });
}

const health = (w: World) => parseDegradedTrigger(healthEvent(RETIREMENT, [w.web.InstanceId!]));

describe('runDegraded (sandbox scenarios)', () => {
  let w: World;

  describe('relaunch', () => {
    beforeEach(() => {
      w = world('relaunch');
    });

    const dataVolumeOf = (w: World) => w.dataVolume;

    it('moves the server: stops it first, images the stopped root only, moves the same data volume, EIP and DNS', async () => {
      const report = await runDegraded(contextFor(w.sandbox), cfg(w), { trigger: health(w), waiters: FAST_WAITERS });

      expect(runFailed(report)).toBe(false);
      const [replacement] = replacementsOf(w.sandbox, w.web.InstanceId!);
      const newId = replacement!.InstanceId!;
      expect(report.results).toEqual([expect.objectContaining({ id: w.web.InstanceId, action: 'relaunch', outcome: 'done', details: expect.objectContaining({ replacement: newId }) })]);
      const ops = w.sandbox.mutatingCalls().map((c) => c.operation);
      expect(ops.indexOf('StopInstances')).toBeLessThan(ops.indexOf('CreateImage'));
      expect(w.sandbox.callsOf('CreateImage')[0]!.input).toMatchObject({ InstanceId: w.web.InstanceId, BlockDeviceMappings: [{ DeviceName: '/dev/sdf', NoDevice: '' }] });
      const run = w.sandbox.callsOf('RunInstances')[0]!.input;
      expect(run).toMatchObject({
        InstanceType: 't3.micro',
        SubnetId: 'subnet-0sandbox000000001',
        SecurityGroupIds: ['sg-0sandbox0000000001'],
        IamInstanceProfile: { Arn: PROFILE },
        KeyName: 'ops',
        UserData: Buffer.from('#!/bin/bash\nsystemctl start web').toString('base64'),
        MetadataOptions: expect.objectContaining({ HttpTokens: 'optional', HttpPutResponseHopLimit: 1 }),
        MinCount: 1,
        MaxCount: 1,
      });
      expect(String(run.ClientToken).length).toBeLessThanOrEqual(64);
      expect(w.sandbox.ec2.volumes.get(dataVolumeOf(w))!.data.Attachments).toEqual([expect.objectContaining({ InstanceId: newId, Device: '/dev/sdf' })]);
      expect(w.sandbox.ec2.addresses.get(w.allocationId)!.data.InstanceId).toBe(newId);
      expect(w.sandbox.route53.record(w.zoneId, 'web.example.com', 'A')).toMatchObject({ TTL: 60, ResourceRecords: [{ Value: '52.10.0.1' }] });
      expect(tagsOf(w.sandbox, w.web.InstanceId!)).toMatchObject({ 'caretaker:replaced-by': newId, 'caretaker:remediation': 'relaunch:done' });
      expect(tagsOf(w.sandbox, newId)).toMatchObject({ Name: 'web-1', role: 'web', 'caretaker:replaces': w.web.InstanceId });
      expect(w.sandbox.ec2.requireInstance(w.web.InstanceId!).State?.Name).toBe('stopped');
    });

    it('terminates the old instance when afterRelaunch is terminate, and its data volume lives on, on the replacement', async () => {
      await runDegraded(contextFor(w.sandbox), cfg(w, { afterRelaunch: 'terminate' }), { trigger: health(w), waiters: FAST_WAITERS });
      expect(w.sandbox.callsOf('TerminateInstances')[0]!.input).toEqual({ InstanceIds: [w.web.InstanceId] });
      expect(w.sandbox.ec2.volumes.get(dataVolumeOf(w))!.data.Attachments![0]!.InstanceId).toBe(replacementsOf(w.sandbox, w.web.InstanceId!)[0]!.InstanceId);
    });

    it('makes one replacement from the same event delivered 3 times in a row', async () => {
      const raw = healthEvent(RETIREMENT, [w.web.InstanceId!]);
      const reports = [];
      for (let i = 0; i < 3; i++) reports.push(await runDegraded(contextFor(w.sandbox), cfg(w), { trigger: parseDegradedTrigger({ ...raw, id: `delivery-${i}` }), waiters: FAST_WAITERS }));
      expect(replacementsOf(w.sandbox, w.web.InstanceId!)).toHaveLength(1);
      expect(reports.map((r) => r.results[0]!.outcome)).toEqual(['done', 'skipped', 'skipped']);
      expect(reports[2]!.results[0]!.reason).toMatch(/already handled \(relaunch\)/);
    });

    it('makes one replacement from the same event delivered 3 times at once (the image name is the claim)', async () => {
      const raw = healthEvent(RETIREMENT, [w.web.InstanceId!]);
      const reports = await Promise.all(
        [0, 1, 2].map((i) => runDegraded(contextFor(w.sandbox), cfg(w), { trigger: parseDegradedTrigger({ ...raw, id: `delivery-${i}` }), waiters: FAST_WAITERS })),
      );
      expect(replacementsOf(w.sandbox, w.web.InstanceId!)).toHaveLength(1);
      const newId = replacementsOf(w.sandbox, w.web.InstanceId!)[0]!.InstanceId;
      expect(w.sandbox.ec2.addresses.get(w.allocationId)!.data.InstanceId).toBe(newId);
      expect(reports.map((r) => r.results[0]!.outcome).sort()).toEqual(['done', 'skipped', 'skipped']);
    });

    it('puts the old server back as it was when the replacement never passes its status checks', async () => {
      lifecycleOf(w.sandbox).launchHealth = () => 'impaired';
      const ctx = contextFor(w.sandbox);
      const report = await runDegraded(ctx, cfg(w), { trigger: health(w), waiters: { ...FAST_WAITERS, statusOkSeconds: 0.5 } });
      await publishReport(ctx.alerts, report);

      expect(report.results[0]).toMatchObject({ outcome: 'failed', errorCode: 'WaiterTimeout' });
      expect(report.results[0]!.reason).toMatch(/status-ok in time.*is as it was \(started again\)/);
      const old = w.sandbox.ec2.requireInstance(w.web.InstanceId!);
      expect(['pending', 'running']).toContain(old.State?.Name);
      expect(w.sandbox.ec2.volumes.get(dataVolumeOf(w))!.data.Attachments).toEqual([expect.objectContaining({ InstanceId: w.web.InstanceId, Device: '/dev/sdf' })]);
      expect(w.sandbox.ec2.addresses.get(w.allocationId)!.data.InstanceId).toBe(w.web.InstanceId);
      expect(w.sandbox.route53.record(w.zoneId, 'web.example.com', 'A')).toBeUndefined();
      const [replacement] = replacementsOf(w.sandbox, w.web.InstanceId!);
      expect(replacement!.State?.Name).toBe('shutting-down');
      expect(tagsOf(w.sandbox, w.web.InstanceId!)).toMatchObject({ 'caretaker:remediation': 'relaunch:failed', 'caretaker:remediation-failures': '1' });
      expect(ctx.alerts.alerts[0]!.subject).toMatch(/Degraded hosts FAILED 1/);
    });

    it('rolls back a relaunch cut off by the time budget, and the next trigger does it again from the start', async () => {
      const cut = contextFor(w.sandbox, { deadline: { remainingMs: () => (w.sandbox.callsOf('RunInstances').length > 0 ? 30_000 : Infinity) } });
      const first = await runDegraded(cut, cfg(w), { trigger: health(w), waiters: FAST_WAITERS });
      expect(first.results[0]).toMatchObject({ outcome: 'failed', errorCode: 'CutOff', reason: expect.stringMatching(/is as it was/) });
      expect(w.sandbox.ec2.volumes.get(dataVolumeOf(w))!.data.Attachments![0]!.InstanceId).toBe(w.web.InstanceId);

      w.sandbox.clock.advance(60_000);
      const again = await runDegraded(contextFor(w.sandbox), cfg(w), { trigger: health(w), waiters: FAST_WAITERS });
      expect(again.results[0]).toMatchObject({ action: 'relaunch', outcome: 'done' });
      const live = replacementsOf(w.sandbox, w.web.InstanceId!).filter((i) => i.State?.Name === 'running');
      expect(live).toHaveLength(1);
      expect(new Set(w.sandbox.callsOf('RunInstances').map((c) => c.input.ClientToken)).size).toBe(2);
    });

    it('skips a relaunch when too little of the invocation is left, touching nothing', async () => {
      const short = contextFor(w.sandbox, { deadline: { remainingMs: () => 300_000 } });
      const report = await runDegraded(short, cfg(w), { trigger: health(w), waiters: FAST_WAITERS });
      expect(report.results[0]).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/less than 600 s left/) });
      expect(w.sandbox.mutatingCalls()).toEqual([]);
    });

    it('relaunches an instance-store instance from its own AMI, and leaves the old one running for a person', async () => {
      const store = new FleetBuilder(w.sandbox).instance({ name: 'cache-1', rootDeviceType: 'instance-store', tags: { 'caretaker:on-degraded': 'relaunch' } });
      const trigger = parseDegradedTrigger(healthEvent('AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED', [store.InstanceId!]));
      const report = await runDegraded(contextFor(w.sandbox), cfg(w), { trigger, waiters: FAST_WAITERS });
      expect(report.results[0]).toMatchObject({ outcome: 'done', reason: expect.stringMatching(/left running \(instance store cannot be stopped/) });
      expect(w.sandbox.callsOf('CreateImage')).toHaveLength(0);
      expect(w.sandbox.callsOf('RunInstances')[0]!.input).toMatchObject({ ImageId: 'ami-0sandbox0000000001' });
      expect(w.sandbox.callsOf('StopInstances')).toHaveLength(0);
      expect(replacementsOf(w.sandbox, store.InstanceId!)).toHaveLength(1);
    });
  });

  describe('stop-start', () => {
    it('restarts an EBS instance on a new host and keeps its Elastic IP (no DNS change needed)', async () => {
      w = world('stop-start');
      const report = await runDegraded(contextFor(w.sandbox), cfg(w), { trigger: health(w), waiters: FAST_WAITERS });
      expect(report.results[0]).toMatchObject({ action: 'stop-start', outcome: 'done' });
      const after = w.sandbox.ec2.requireInstance(w.web.InstanceId!);
      expect(after.State?.Name).toBe('running');
      expect(after.PublicIpAddress).toBe('52.10.0.1');
      expect(w.sandbox.ec2.addresses.get(w.allocationId)!.data.InstanceId).toBe(w.web.InstanceId);
      expect(w.sandbox.ec2.healthOf(w.web.InstanceId!).events).toEqual([]);
      expect(w.sandbox.callsOf('ChangeResourceRecordSets')).toHaveLength(0);
      expect(tagsOf(w.sandbox, w.web.InstanceId!)['caretaker:remediation']).toBe('stop-start:done');
    });

    it('resumes a stop-start cut off while stopping: starts it once, never stops it twice', async () => {
      w = world('stop-start');
      const cut = contextFor(w.sandbox, { deadline: { remainingMs: () => (w.sandbox.callsOf('StopInstances').length > 0 ? 30_000 : Infinity) } });
      const first = await runDegraded(cut, cfg(w), { trigger: health(w), waiters: FAST_WAITERS });
      expect(first.results[0]).toMatchObject({ outcome: 'skipped', details: { cutOff: true } });

      w.sandbox.clock.advance(21 * 60_000);
      const resumed = await runDegraded(contextFor(w.sandbox), cfg(w), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
      expect(resumed.results[0]).toMatchObject({ action: 'stop-start', outcome: 'done' });
      expect(w.sandbox.callsOf('StopInstances')).toHaveLength(1);
      expect(w.sandbox.callsOf('StartInstances')).toHaveLength(1);
      expect(w.sandbox.ec2.requireInstance(w.web.InstanceId!).State?.Name).toBe('running');
      expect(tagsOf(w.sandbox, w.web.InstanceId!)['caretaker:remediation']).toBe('stop-start:done');
    });

    it('updates the DNS record when the public IP changed', async () => {
      w = world('stop-start', { eip: false, publicIp: '3.80.1.1' });
      const report = await runDegraded(contextFor(w.sandbox), cfg(w), { trigger: health(w), waiters: FAST_WAITERS });
      const ip = w.sandbox.ec2.requireInstance(w.web.InstanceId!).PublicIpAddress;
      expect(ip).not.toBe('3.80.1.1');
      expect(report.results[0]!.reason).toMatch(/3\.80\.1\.1 → 54\./);
      expect(w.sandbox.route53.record(w.zoneId, 'web.example.com', 'A')).toMatchObject({ ResourceRecords: [{ Value: ip }] });
    });
  });

  describe('notify, scan, dry run and bad input', () => {
    it('alerts with instance, code, deadline and the command to run by hand', async () => {
      w = world('notify');
      const ctx = contextFor(w.sandbox);
      const report = await runDegraded(ctx, cfg(w), { trigger: health(w), waiters: FAST_WAITERS });
      const body = formatReport(report);
      expect(body).toContain(w.web.InstanceId!);
      expect(body).toContain(RETIREMENT);
      expect(body).toContain('deadline 2026-01-24T00:00:00.000Z');
      expect(body).toContain(`aws ec2 stop-instances --region us-east-1 --instance-ids ${w.web.InstanceId}`);
      expect(w.sandbox.mutatingCalls().map((c) => c.operation)).toEqual(['CreateTags']);
      expect(report.notes[0]).toBe(`ACTION NEEDED by hand for ${w.web.InstanceId}: see each notify line for the deadline and the command.`);
    });

    it('finds instances through the DescribeInstanceStatus scan (scheduled events and impaired system status)', async () => {
      w = world('notify');
      const sick = new FleetBuilder(w.sandbox).instance({ name: 'db-1' });
      w.sandbox.ec2.healthOf(sick.InstanceId!).systemStatus = 'impaired';
      const report = await runDegraded(contextFor(w.sandbox), cfg(w), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
      expect(report.results.map((r) => [r.id, r.action, r.outcome])).toEqual([
        [w.web.InstanceId, 'notify', 'done'],
        [sick.InstanceId, 'notify', 'done'],
      ]);
      expect(report.results[1]!.reason).toMatch(/system-status-impaired/);
      const scans = w.sandbox.callsOf('DescribeInstanceStatus');
      expect(scans.map((c) => (c.input.Filters as Array<{ Name: string }>)[0]!.Name)).toEqual(['event.code', 'system-status.status']);
    });

    it('makes no mutating call in a dry run and reports the plan', async () => {
      w = world('relaunch');
      const report = await runDegraded(contextFor(w.sandbox, { dryRun: true }), cfg(w), { trigger: health(w), waiters: FAST_WAITERS });
      expect(report.dryRun).toBe(true);
      expect(report.plan).toEqual([expect.objectContaining({ target: w.web.InstanceId, action: 'relaunch' })]);
      expect(w.sandbox.mutatingCalls()).toEqual([]);
      expect(reportSubject(report)).toMatch(/dry run: 1 planned/);
    });

    it('refuses an over-large plan (maxReplacementsPerRun) and does nothing', async () => {
      w = world('relaunch');
      const fleet = new FleetBuilder(w.sandbox);
      const more = [1, 2].map(() => fleet.instance({ tags: { 'caretaker:on-degraded': 'stop-start' } }).InstanceId!);
      const trigger = parseDegradedTrigger(healthEvent(RETIREMENT, [w.web.InstanceId!, ...more]));
      const report = await runDegraded(contextFor(w.sandbox), cfg(w, { maxReplacementsPerRun: 2 }), { trigger, waiters: FAST_WAITERS });
      expect(report.error).toMatchObject({ code: 'BlastRadiusError' });
      expect(w.sandbox.mutatingCalls()).toEqual([]);
    });

    it('skips terminated instances, Auto Scaling members, other accounts and unknown codes without a mutating call', async () => {
      w = world('relaunch');
      const fleet = new FleetBuilder(w.sandbox);
      const gone = fleet.instance({ state: 'terminated', tags: { 'caretaker:on-degraded': 'relaunch' } }).InstanceId!;
      const asg = fleet.instance({ tags: { 'aws:autoscaling:groupName': 'web-asg', 'caretaker:on-degraded': 'relaunch' } }).InstanceId!;
      const events = [
        healthEvent(RETIREMENT, [gone, asg, 'i-0000000000000beef', 'vol-0123456789abcdef0']),
        healthEvent(RETIREMENT, [w.web.InstanceId!], { account: '999999999999', eventArn: 'arn:aws:health:us-east-1::event/EC2/other' }),
        healthEvent('AWS_EC2_API_ISSUE', [w.web.InstanceId!]),
      ];
      const trigger = { kind: 'health' as const, events: events.flatMap((e) => { const t = parseDegradedTrigger(e); return t.kind === 'health' ? t.events : []; }) };
      const report = await runDegraded(contextFor(w.sandbox), cfg(w), { trigger, home: { accountId: '123456789012' }, waiters: FAST_WAITERS });
      expect(report.results.every((r) => r.outcome === 'skipped')).toBe(true);
      expect(report.results.map((r) => r.reason)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/not an EC2 instance/),
          expect.stringMatching(/in account 999999999999/),
          expect.stringMatching(/AWS_EC2_API_ISSUE is not a degraded-host code/),
          expect.stringMatching(/already terminated/),
          expect.stringMatching(/Auto Scaling group web-asg/),
          expect.stringMatching(/not found in this account and Region/),
        ]),
      );
      expect(w.sandbox.mutatingCalls()).toEqual([]);
    });
  });
});

describe('runDegraded: IdempotentParameterMismatch', () => {
  it('adopts the replacement an earlier run launched with the same token (found by its caretaker:replaces tag), never a second one', async () => {
    const w = world('relaunch');
    const token = clientToken('instance-event-0a1b2c3d4e5f6a7b8', w.web.InstanceId!, 0);
    const { ec2 } = w.sandbox.clients();
    const earlier = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0sandbox0000000001',
        InstanceType: 'm5.large',
        MinCount: 1,
        MaxCount: 1,
        ClientToken: token,
        // As launchRequest tags it: the instance and its primary interface (the role moves addresses only onto that one).
        TagSpecifications: ['instance', 'network-interface'].map((type) => ({ ResourceType: type as 'instance', Tags: [{ Key: 'caretaker:replaces', Value: w.web.InstanceId }] })),
      }),
    );
    const report = await runDegraded(contextFor(w.sandbox), cfg(w), { trigger: { kind: 'scan' }, waiters: FAST_WAITERS });
    expect(w.sandbox.callsOf('RunInstances').map((c) => c.error)).toEqual([undefined, 'IdempotentParameterMismatch']);
    expect(report.results[0]).toMatchObject({ action: 'relaunch', outcome: 'done', details: expect.objectContaining({ replacement: earlier.Instances![0]!.InstanceId }) });
    expect(replacementsOf(w.sandbox, w.web.InstanceId!)).toHaveLength(1);
  });
});
