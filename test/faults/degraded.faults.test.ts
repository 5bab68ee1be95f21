import { expectFailuresReported } from '../helpers';
import { describe, expect, it } from 'vitest';
import type { FaultRule } from '../../sandbox/faults';
import { parseDegradedTrigger } from '../../shared/degraded/event';
import { runDegraded } from '../../shared/degraded/run-degraded';
import { lifecycleOf } from '../../sandbox/ec2-lifecycle';
import { FleetBuilder } from '../../sandbox/fleet';
import { config, contextFor, FAST_WAITERS, fastSandbox, healthEvent } from '../degraded/helpers';

const RETIREMENT = 'AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED';

/** One relaunch-tagged instance with an EIP and a DNS record that already points at it. */
function setup() {
  const sandbox = fastSandbox({ throttling: true });
  const web = new FleetBuilder(sandbox).instance({ name: 'web-1', tags: { 'caretaker:on-degraded': 'relaunch' } });
  const allocation = new FleetBuilder(sandbox).elasticIp('52.10.0.1', web.InstanceId);
  const zone = sandbox.route53.addZone('example.com');
  sandbox.route53.zones.get(zone.Id!.replace('/hostedzone/', ''))!.records.push({ Name: 'web.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '52.10.0.1' }] });
  const cfg = config({ records: [{ instanceId: web.InstanceId, hostedZoneId: zone.Id, name: 'web.example.com' }] });
  const run = () => runDegraded(contextFor(sandbox), cfg, { trigger: parseDegradedTrigger(healthEvent(RETIREMENT, [web.InstanceId!])), waiters: FAST_WAITERS });
  const replacements = () => [...sandbox.ec2.instances.values()].map((i) => i.data).filter((i) => i.Tags?.some((t) => t.Key === 'caretaker:replaces'));
  return { sandbox, web, allocation, zoneId: zone.Id!, run, replacements };
}

describe('runDegraded under injected faults', () => {
  it('InsufficientInstanceCapacity on RunInstances: failed item with the code, old instance started again with its EIP', async () => {
    const { sandbox, web, allocation, run, replacements } = setup();
    sandbox.injectFault({ operation: 'RunInstances', code: 'InsufficientInstanceCapacity', message: 'We currently do not have sufficient t3.micro capacity' });
    const report = await run();
    expect(report.results[0]).toMatchObject({ outcome: 'failed', errorCode: 'InsufficientInstanceCapacity' });
    expect(sandbox.callsOf('StartInstances').map((c) => c.input.InstanceIds)).toEqual([[web.InstanceId]]);
    expect(['pending', 'running']).toContain(sandbox.ec2.requireInstance(web.InstanceId!).State?.Name);
    expect(sandbox.ec2.addresses.get(allocation)!.data.InstanceId).toBe(web.InstanceId);
    expect(replacements()).toHaveLength(0);
  });

  it('a Route 53 failure after the EIP moved: EIP given back, replacement terminated, record unchanged', async () => {
    const { sandbox, web, allocation, zoneId, run, replacements } = setup();
    sandbox.injectFault({ service: 'route53', operation: 'ChangeResourceRecordSets', code: 'InvalidChangeBatch', times: 1 });
    const report = await run();
    expect(report.results[0]).toMatchObject({ outcome: 'failed', errorCode: 'InvalidChangeBatch' });
    const oldEni = sandbox.ec2.requireInstance(web.InstanceId!).NetworkInterfaces![0]!.NetworkInterfaceId;
    const moves = sandbox.callsOf('AssociateAddress').map((c) => c.input);
    expect(moves).toHaveLength(2);
    expect(moves[0]!.NetworkInterfaceId).not.toBe(oldEni);
    // Given back through the old instance (InstanceId + its private IP), never onto an interface the role may not target.
    expect(moves[1]).toMatchObject({ InstanceId: web.InstanceId, PrivateIpAddress: web.PrivateIpAddress });
    expect(sandbox.ec2.addresses.get(allocation)!.data.NetworkInterfaceId).toBe(oldEni);
    expect(sandbox.ec2.addresses.get(allocation)!.data.InstanceId).toBe(web.InstanceId);
    expect(sandbox.ec2.requireInstance(web.InstanceId!).PublicIpAddress).toBe('52.10.0.1');
    expect(sandbox.route53.record(zoneId, 'web.example.com', 'A')!.ResourceRecords).toEqual([{ Value: '52.10.0.1' }]);
    expect(replacements()[0]!.State?.Name).toBe('shutting-down');
    expect(['pending', 'running']).toContain(sandbox.ec2.requireInstance(web.InstanceId!).State?.Name);
  });

  it('a throttling storm on describes and tags is absorbed by the SDK retries', async () => {
    const { sandbox, run, replacements } = setup();
    sandbox.injectFault({ operation: /^(Describe|CreateTags)/, code: 'RequestLimitExceeded', probability: 0.3, times: 20 });
    const report = await run();
    expect(report.results[0]).toMatchObject({ outcome: 'done' });
    expect(sandbox.calls.filter((c) => c.error === 'RequestLimitExceeded').length).toBeGreaterThan(0);
    expect(replacements()).toHaveLength(1);
  });

  it('a replacement that fails its status checks is retried after a person clears the tag, with a new token', async () => {
    const { sandbox, web, run, replacements } = setup();
    lifecycleOf(sandbox).launchHealth = () => 'impaired';
    const first = await runDegraded(
      contextFor(sandbox),
      config({}),
      { trigger: parseDegradedTrigger(healthEvent(RETIREMENT, [web.InstanceId!])), waiters: { ...FAST_WAITERS, statusOkSeconds: 0.4 } },
    );
    expect(first.results[0]!.outcome).toBe('failed');
    const blocked = await run();
    expect(blocked.results[0]!.reason).toMatch(/previous relaunch failed.*remove tag caretaker:remediation/);

    lifecycleOf(sandbox).launchHealth = () => 'ok';
    const stored = sandbox.ec2.requireInstance(web.InstanceId!);
    stored.Tags = stored.Tags!.filter((t) => t.Key !== 'caretaker:remediation');
    // The rollback started the old instance again; the retry finds it running.
    sandbox.clock.advance(60_000);
    const retried = await run();
    expect(retried.results[0]!.reason).not.toMatch(/not running/);
    expect(retried.results[0]!.outcome).toBe('done');
    const tokens = sandbox.callsOf('RunInstances').map((c) => c.input.ClientToken);
    expect(new Set(tokens).size).toBe(2);
    expect(replacements().filter((i) => i.State?.Name === 'running')).toHaveLength(1);
  });
});

const storms: Array<[string, FaultRule]> = [
  ['30% RequestLimitExceeded on every EC2 call', { service: 'ec2', code: 'RequestLimitExceeded', probability: 0.3 }],
  ['80% RequestLimitExceeded on every EC2 call', { service: 'ec2', code: 'RequestLimitExceeded', probability: 0.8 }],
  ['30% InternalError (500) on every EC2 call', { service: 'ec2', code: 'InternalError', probability: 0.3 }],
  ['30% network timeouts on every EC2 call', { service: 'ec2', code: 'TimeoutError', probability: 0.3 }],
  ['50% Throttling on Route 53', { service: 'route53', code: 'Throttling', probability: 0.5 }],
];

describe('degraded job fault matrix', () => {
  it.each(storms)('%s: at most one replacement, identity never lost, failures reported, the runs after the storm finish', async (_name, rule) => {
    const { sandbox, web, allocation, zoneId, run, replacements } = setup();
    sandbox.injectFault(rule);
    const check = (report: Awaited<ReturnType<typeof run>>) => {
      expectFailuresReported(report);
      // Whatever happened, the Elastic IP is on a running instance: the old one or its replacement.
      const holder = sandbox.ec2.addresses.get(allocation)!.data.InstanceId!;
      expect(['running', 'pending']).toContain(sandbox.ec2.requireInstance(holder).State?.Name);
      expect(replacements().filter((r) => !['terminated', 'shutting-down'].includes(r.State?.Name ?? '')).length).toBeLessThanOrEqual(1);
      return report.results.some((r) => r.outcome === 'done');
    };
    let done = check(await run()) || check(await run());
    // The storm passes; an interrupted relaunch's lease (20 min) runs out and the next triggers finish it.
    sandbox.faults.clear();
    sandbox.clock.advance(25 * 60_000);
    for (let i = 0; i < 2 && !done; i++) done = check(await run());
    expect(done).toBe(true);
    const replacement = replacements().find((r) => r.State?.Name === 'running')!;
    expect(sandbox.ec2.addresses.get(allocation)!.data.InstanceId).toBe(replacement.InstanceId);
    expect(sandbox.route53.record(zoneId, 'web.example.com', 'A')!.ResourceRecords).toEqual([{ Value: '52.10.0.1' }]);
    expect(['stopping', 'stopped']).toContain(sandbox.ec2.requireInstance(web.InstanceId!).State?.Name);
  });
});
