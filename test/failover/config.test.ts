import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load';
import { InputError } from '../../shared/engine/errors';

const member = (name: string, extra: Record<string, unknown> = {}) => ({ name, ip: '192.0.2.1', probe: { type: 'http', path: '/health' }, ...extra });
const group = (extra: Record<string, unknown> = {}) => ({
  name: 'web',
  hostedZoneId: 'Z0123456789ABC',
  zoneName: 'example.com',
  recordName: 'lb.example.com',
  members: [member('lb1'), member('lb2', { ip: '192.0.2.2' })],
  ...extra,
});

function problems(failover: unknown): string[] {
  try {
    parseConfig({ failover });
  } catch (error) {
    if (error instanceof InputError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('failover config', () => {
  it('fills the defaults of a minimal group', () => {
    const g = parseConfig({ failover: { groups: [group()] } }).failover.groups[0]!;
    expect(g).toMatchObject({ mode: 'dns', type: 'A', ttl: 60, failureThreshold: 3, successThreshold: 2, probeIntervalSeconds: 5, failback: 'auto' });
    expect(g.members[0]!.probe).toMatchObject({ type: 'http', method: 'GET', expectStatus: { min: 200, max: 399 }, timeoutMs: 2000, verifyTls: true });
  });

  it('rejects a record name outside the zone and a member without a probe', () => {
    const bad = group({ recordName: 'lb.example.org', members: [member('lb1'), { name: 'lb2', ip: '192.0.2.2' }] });
    expect(problems({ groups: [bad] })).toEqual([
      'failover.groups[0].members[1].probe: every member needs a probe: { type: http|https|tcp, ... }',
      'failover.groups[0].recordName: lb.example.org is outside the zone example.com',
    ]);
    expect(problems({ groups: [group({ recordName: 'lb.example.org' })] })).toEqual([
      'failover.groups[0].recordName: lb.example.org is outside the zone example.com',
    ]);
  });

  it('needs exactly one target per member and matching record types', () => {
    const bad = group({ members: [member('lb1', { hostname: 'lb1.example.net' }), { name: 'lb2', hostname: 'lb2.example.net', probe: { type: 'tcp', port: 443 } }] });
    expect(problems({ groups: [bad] }).sort()).toEqual([
      'failover.groups[0].members[0].hostname: an A record needs ip or instanceId members; use type: CNAME for hostnames',
      'failover.groups[0].members[0]: a member needs exactly one target: ip, hostname or instanceId',
      'failover.groups[0].members[1].hostname: an A record needs ip or instanceId members; use type: CNAME for hostnames',
    ]);
    const cnameOfIp = group({ type: 'CNAME' });
    expect(problems({ groups: [cnameOfIp] })).toContain('failover.groups[0].members[0]: a CNAME record needs hostname members; use type: A for IPs and instances');
  });

  it('rejects a probe timeout longer than the interval, a high TTL and bad values with what was expected', () => {
    const bad = group({ ttl: 3600, members: [member('lb1', { probe: { type: 'tcp', port: 70000 } }), member('lb2', { ip: '300.1.1.1' })] });
    expect(problems({ groups: [bad] }).sort()).toEqual([
      'failover.groups[0].members[0].probe.port: expected a TCP port 1-65535',
      'failover.groups[0].members[1].ip: expected an IPv4 address such as 192.0.2.10',
      'failover.groups[0].ttl: expected at most 300 s: a failover record needs a low TTL',
    ]);
    expect(problems({ groups: [group({ probeIntervalSeconds: 1 })] })).toEqual([
      'failover.groups[0].members[0].probe.timeoutMs: must not exceed the probe spacing (1000 ms: probeIntervalSeconds or recheckIntervalSeconds)',
      'failover.groups[0].members[1].probe.timeoutMs: must not exceed the probe spacing (1000 ms: probeIntervalSeconds or recheckIntervalSeconds)',
    ]);
  });

  it('rejects bodyContains on a HEAD probe', () => {
    expect(problems({ groups: [group({ members: [member('lb1', { probe: { type: 'http', method: 'HEAD', bodyContains: 'OK' } }), member('lb2')] })] })).toEqual([
      'failover.groups[0].members[0].probe.bodyContains: bodyContains needs method GET: a HEAD answer has no body',
    ]);
  });

  it('needs an allocation id and instance members in elastic-ip mode', () => {
    expect(problems({ groups: [group({ mode: 'elastic-ip', hostedZoneId: undefined, recordName: undefined })] }).sort()).toEqual([
      'failover.groups[0].allocationId: required in elastic-ip mode',
      'failover.groups[0].members[0]: elastic-ip mode moves the address between instances: use instanceId',
      'failover.groups[0].members[1]: elastic-ip mode moves the address between instances: use instanceId',
    ]);
  });

  it('rejects unknown keys with a suggestion and two groups on one record', () => {
    expect(problems({ groups: [group({ failbak: 'auto' })] })).toEqual(["failover.groups[0].failbak: unknown key (did you mean 'failback'?)"]);
    expect(problems({ groups: [group(), group({ name: 'web2', recordName: 'LB.example.com.' })] })).toEqual([
      'failover.groups[1]: record lb.example.com is already managed by groups[0]',
    ]);
  });
});
