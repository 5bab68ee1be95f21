import { afterEach, describe, expect, it } from 'vitest';
import { FleetBuilder } from '../../sandbox/fleet';
import { failoverScene, type FailoverScene, LB1_IP, LB2_IP } from '../../sandbox/failover-scene';
import { failoverSchema } from '../../shared/failover/config';
import { runFailover } from '../../shared/failover/run-failover';
import type { PassEvent } from '../../shared/failover/watch-group';

let scene: FailoverScene;
afterEach(() => scene?.close());

const probe = (port: number) => ({ type: 'http', host: '127.0.0.1', port, timeoutMs: 200 });

/** Two instance members whose LBs are the scene's local servers; record and self-names point at LB1. */
function instanceGroup(extra: Record<string, unknown> = {}) {
  const fleet = new FleetBuilder(scene.sandbox);
  const i1 = fleet.instance({ name: 'lb1', publicIp: '203.0.113.10' });
  const i2 = fleet.instance({ name: 'lb2', publicIp: '203.0.113.20' });
  const records = scene.sandbox.route53.zones.get(scene.zoneId.replace('/hostedzone/', ''))!.records;
  for (const r of records.filter((x) => x.Type === 'A')) r.ResourceRecords = [{ Value: r.Name === 'lb2.example.com.' ? '203.0.113.20' : '203.0.113.10' }];
  const config = failoverSchema.parse({
    groups: [
      {
        name: 'web',
        hostedZoneId: scene.zoneId,
        recordName: 'lb.example.com',
        members: [
          { name: 'lb1', instanceId: i1.InstanceId, selfName: 'lb1.example.com', probe: probe(scene.lb1.port) },
          { name: 'lb2', instanceId: i2.InstanceId, selfName: 'lb2.example.com', probe: probe(scene.lb2.port) },
        ],
        insync: { maxWaitSeconds: 2, minDelaySeconds: 0.01, maxDelaySeconds: 0.05 },
        ...extra,
      },
    ],
  });
  return { i1: i1.InstanceId!, i2: i2.InstanceId!, config };
}

const record = (name: string) => scene.sandbox.route53.record(scene.zoneId, name, 'A')?.ResourceRecords?.[0]?.Value;

describe('runFailover with instance members', () => {
  it('follows an instance whose public IP changed: self-name and service record move to the new IP', async () => {
    scene = await failoverScene();
    const { i1, config } = instanceGroup();
    const report = await runFailover(scene.context(60_000), config, {
      onPass: (e) => {
        if (e.pass === 3) scene.sandbox.ec2.instances.get(i1)!.data.PublicIpAddress = '203.0.113.99';
      },
    });
    expect(record('lb1.example.com')).toBe('203.0.113.99');
    expect(record('lb.example.com')).toBe('203.0.113.99');
    expect(report.results.find((r) => r.id === 'lb.example.com')).toMatchObject({
      action: 'upsert',
      outcome: 'done',
      reason: "lb1's address changed from 203.0.113.10 to 203.0.113.99",
    });
    expect(report.results.find((r) => r.id === 'lb1.example.com')).toMatchObject({ action: 'upsert-self-name', outcome: 'done' });
    // Looked up every pass, with a filter, never unfiltered.
    const lookups = scene.sandbox.callsOf('DescribeInstances');
    expect(lookups.length).toBe(11);
    expect(lookups.every((c) => JSON.stringify(c.input).includes('instance-id'))).toBe(true);
  });

  it('treats a stopped instance as failing probes and moves the record to the other one', async () => {
    scene = await failoverScene();
    const { i1, config } = instanceGroup();
    const passes: PassEvent[] = [];
    await runFailover(scene.context(60_000), config, {
      onPass: (e) => {
        passes.push(e);
        if (e.pass === 2) scene.sandbox.ec2.instances.get(i1)!.data.State = { Name: 'stopped', Code: 80 };
      },
    });
    expect(record('lb.example.com')).toBe('203.0.113.20');
    expect(passes[2]!.members[0]!.probe.detail).toBe(`instance ${i1} is stopped`);
  });

  it('moves an Elastic IP to the healthy instance with AllowReassociation in elastic-ip mode', async () => {
    scene = await failoverScene();
    const { i1, i2 } = instanceGroup();
    const allocationId = new FleetBuilder(scene.sandbox).elasticIp('198.51.100.5', i1);
    const config = failoverSchema.parse({
      groups: [
        {
          name: 'eip',
          mode: 'elastic-ip',
          allocationId,
          members: [
            { name: 'lb1', instanceId: i1, probe: probe(scene.lb1.port) },
            { name: 'lb2', instanceId: i2, probe: probe(scene.lb2.port) },
          ],
        },
      ],
    });
    const report = await runFailover(scene.context(60_000), config, {
      onPass: async (e) => {
        if (e.pass === 2) await scene.lb1.kill();
      },
    });
    expect(scene.sandbox.callsOf('AssociateAddress').map((c) => c.input)).toEqual([{ AllocationId: allocationId, InstanceId: i2, AllowReassociation: true }]);
    expect(scene.sandbox.ec2.addresses.get(allocationId)!.data.InstanceId).toBe(i2);
    expect(report.results).toEqual([expect.objectContaining({ id: allocationId, action: 'associate-address', outcome: 'done' })]);
    expect(scene.sandbox.callsOf('ChangeResourceRecordSets')).toEqual([]);
  });
});

describe('runFailover with hostname members', () => {
  it('moves a CNAME to the healthy hostname and keeps CNAME self-names', async () => {
    scene = await failoverScene({ record: false });
    const records = scene.sandbox.route53.zones.get(scene.zoneId.replace('/hostedzone/', ''))!.records;
    records.push({ Name: 'www.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'lb1.example.net' }] });
    const config = failoverSchema.parse({
      groups: [
        {
          name: 'www',
          hostedZoneId: scene.zoneId,
          recordName: 'www.example.com',
          type: 'CNAME',
          members: [
            { name: 'lb1', hostname: 'lb1.example.net', selfName: 'edge1.example.com', probe: probe(scene.lb1.port) },
            { name: 'lb2', hostname: 'lb2.example.net', probe: probe(scene.lb2.port) },
          ],
          insync: { maxWaitSeconds: 2, minDelaySeconds: 0.01, maxDelaySeconds: 0.05 },
        },
      ],
    });
    await runFailover(scene.context(60_000), config, { onPass: async (e) => void (e.pass === 1 && (await scene.lb1.kill())) });
    expect(scene.sandbox.route53.record(scene.zoneId, 'www.example.com', 'CNAME')?.ResourceRecords).toEqual([{ Value: 'lb2.example.net' }]);
    expect(scene.sandbox.route53.record(scene.zoneId, 'edge1.example.com', 'CNAME')?.ResourceRecords).toEqual([{ Value: 'lb1.example.net' }]);
  });
});

describe('runFailover against a busy Route 53', () => {
  const killLb1 = async (e: PassEvent) => {
    if (e.pass === 1) await scene.lb1.kill();
  };

  it('lets the SDK retry PriorRequestNotComplete (throttling class) and completes the move', async () => {
    scene = await failoverScene();
    scene.sandbox.injectFault({ service: 'route53', operation: 'ChangeResourceRecordSets', code: 'PriorRequestNotComplete', httpStatusCode: 400, times: 2 });
    const report = await runFailover(scene.context(60_000), scene.config, { onPass: killLb1 });
    const calls = scene.sandbox.callsOf('ChangeResourceRecordSets');
    expect(calls.map((c) => c.error)).toEqual(['PriorRequestNotComplete', 'PriorRequestNotComplete', undefined]);
    expect(scene.active()).toBe(LB2_IP);
    expect(report.results).toEqual([expect.objectContaining({ action: 'upsert', outcome: 'done' })]);
  });

  it('retries PriorRequestNotComplete itself when the SDK gives up, and replans next pass if that fails too', async () => {
    scene = await failoverScene();
    // No SDK retries: every error reaches the job's own retry (4 attempts) at once.
    const ctx = scene.context(60_000, { clients: scene.sandbox.clients({ maxAttempts: 1 }) });
    scene.sandbox.injectFault({ service: 'route53', operation: 'ChangeResourceRecordSets', code: 'PriorRequestNotComplete', httpStatusCode: 400, times: 5 });
    const report = await runFailover(ctx, scene.config, { onPass: killLb1 });
    const calls = scene.sandbox.callsOf('ChangeResourceRecordSets');
    expect(calls.map((c) => c.error ?? 'ok')).toEqual([...Array(5).fill('PriorRequestNotComplete'), 'ok']);
    expect(report.results.map((r) => `${r.action}:${r.outcome}:${r.errorCode ?? ''}`)).toEqual(['upsert:failed:PriorRequestNotComplete', 'upsert:done:']);
    expect(scene.active()).toBe(LB2_IP);
  });

  it('skips the decision of a pass whose record read is throttled past all retries, and decides on the next', async () => {
    scene = await failoverScene();
    const ctx = scene.context(60_000, { clients: scene.sandbox.clients({ maxAttempts: 1 }) });
    scene.sandbox.injectFault({
      service: 'route53',
      operation: 'ListResourceRecordSets',
      code: 'Throttling',
      httpStatusCode: 400,
      when: (input) => input.StartRecordName === 'lb.example.com',
      times: 4,
    });
    const passes: PassEvent[] = [];
    const report = await runFailover(ctx, scene.config, {
      onPass: async (e) => {
        passes.push(e);
        if (e.pass === 5) await scene.lb1.kill();
      },
    });
    expect(report.notes.filter((n) => n.includes('could not read lb.example.com (Throttling)'))).toHaveLength(4);
    expect(passes[0]!.pass).toBe(5);
    expect(scene.active()).toBe(LB2_IP);
  });

  it('stops trying after three failed moves in one run and fails it, record untouched', async () => {
    scene = await failoverScene();
    scene.sandbox.injectFault({ service: 'route53', operation: 'ChangeResourceRecordSets', code: 'AccessDenied', httpStatusCode: 403 });
    const report = await runFailover(scene.context(60_000), scene.config, { onPass: killLb1 });
    expect(report.results.map((r) => `${r.outcome}:${r.errorCode}`)).toEqual(Array(3).fill('failed:AccessDenied'));
    expect(report.notes).toContain('web: 3 moves failed; no further attempt this run');
    expect(scene.sandbox.callsOf('ChangeResourceRecordSets')).toHaveLength(3);
    expect(scene.active()).toBe(LB1_IP);
  });

  it('reports a change that is not INSYNC within the bound as PENDING, without failing the run', async () => {
    scene = await failoverScene({ sandbox: { timings: { route53SyncMs: 3_600_000 } }, group: { insync: { maxWaitSeconds: 0.2, minDelaySeconds: 0.01, maxDelaySeconds: 0.05 } } });
    const report = await runFailover(scene.context(60_000), scene.config, { onPass: killLb1 });
    const moved = report.results.find((r) => r.action === 'upsert')!;
    expect(moved).toMatchObject({ outcome: 'done', details: { status: 'PENDING' } });
    expect(moved.reason).toMatch(/not INSYNC within 0.2 s/);
  });
});
