import { afterEach, describe, expect, it } from 'vitest';
import { FleetBuilder } from '../../sandbox/fleet';
import { failoverScene, type FailoverScene } from '../../sandbox/failover-scene';
import { failoverSchema } from '../../shared/failover/config';
import { runFailover } from '../../shared/failover/run-failover';
import { config as parse } from '../helpers';

let scene: FailoverScene;
afterEach(() => scene?.close());

/** A group whose two instance members run in `region`; the service record is in the (global) zone. */
function groupIn(region: string) {
  const fleet = new FleetBuilder(scene.sandbox, region);
  const i1 = fleet.instance({ name: 'lb1', publicIp: '203.0.113.10' });
  const i2 = fleet.instance({ name: 'lb2', publicIp: '203.0.113.20' });
  const probe = (port: number) => ({ type: 'http', host: '127.0.0.1', port, timeoutMs: 200 });
  return {
    name: 'web-eu',
    region,
    hostedZoneId: scene.zoneId,
    recordName: 'lb.example.com',
    members: [
      { name: 'lb1', instanceId: i1.InstanceId, probe: probe(scene.lb1.port) },
      { name: 'lb2', instanceId: i2.InstanceId, probe: probe(scene.lb2.port) },
    ],
    insync: { maxWaitSeconds: 2, minDelaySeconds: 0.01, maxDelaySeconds: 0.05 },
  };
}

describe('runFailover over Regions', () => {
  it("describes a group's members in the group's Region; Route 53 stays global", async () => {
    scene = await failoverScene({ sandbox: { regions: ['us-east-1', 'eu-west-1'] }, record: false });
    const records = scene.sandbox.route53.zones.get(scene.zoneId.replace('/hostedzone/', ''))!.records;
    records.push({ Name: 'lb.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '203.0.113.10' }] });
    const config = failoverSchema.parse({ groups: [groupIn('eu-west-1')] });
    const report = await runFailover(scene.context(60_000), config, { once: true });
    const lookups = scene.sandbox.callsOf('DescribeInstances');
    expect(lookups.length).toBeGreaterThan(0);
    expect(new Set(lookups.map((c) => c.region))).toEqual(new Set(['eu-west-1']));
    expect(report.results.length).toBeGreaterThan(0);
    expect(report.results.every((r) => r.region === 'eu-west-1')).toBe(true);
    expect(report.results.filter((r) => r.outcome === 'failed')).toEqual([]);
  });

  it('refuses a group in a Region the account has not enabled, before probing anything', async () => {
    scene = await failoverScene({ sandbox: { regions: ['us-east-1'], disabledRegions: ['af-south-1'] }, record: false });
    const group = { name: 'web-af', region: 'af-south-1', hostedZoneId: scene.zoneId, recordName: 'lb.example.com', members: [{ name: 'a', ip: '203.0.113.1', probe: { type: 'tcp', port: 1 } }, { name: 'b', ip: '203.0.113.2', probe: { type: 'tcp', port: 1 } }] };
    const whole = parse({ regions: ['us-east-1', 'af-south-1'], failover: { groups: [group] } });
    await expect(runFailover(scene.context(60_000), whole.failover, { once: true, config: whole })).rejects.toThrow(/failover\.groups\[0\]\.region: af-south-1 is not enabled|regions\[1\]: af-south-1 is not enabled/);
    expect(scene.sandbox.calls.filter((c) => c.operation !== 'DescribeRegions')).toEqual([]);
  });
});
