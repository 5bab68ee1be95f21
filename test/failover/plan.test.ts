import { describe, expect, it } from 'vitest';
import { type MemberView, planFailover, planSelfNames } from '../../shared/failover/plan-failover';
import { initialHealth, type MemberHealth, trackHealth } from '../../shared/failover/track-health';

const up: MemberHealth = { verdict: 'up', failures: 0, successes: 3, last: 'HTTP 200' };
const down: MemberHealth = { verdict: 'down', failures: 3, successes: 0, last: 'ECONNREFUSED' };
const unknown: MemberHealth = initialHealth;
const lb = (name: string, key: string | undefined, health: MemberHealth, formerKeys: string[] = []): MemberView => ({ name, key, health, formerKeys });

describe('trackHealth', () => {
  const t = { failureThreshold: 3, successThreshold: 2 };
  const run = (oks: boolean[], from = initialHealth) => oks.reduce((h, ok) => trackHealth(h, { ok, detail: ok ? 'ok' : 'fail' }, t), from);

  it('turns down only after failureThreshold consecutive failures', () => {
    expect(run([false, false], up).verdict).toBe('up');
    expect(run([false, false, false], up).verdict).toBe('down');
  });

  it('keeps a flapping member up: alternating answers never reach the threshold', () => {
    expect(run([false, true, false, true, false, false, true, false], up).verdict).toBe('up');
  });

  it('turns up only after successThreshold consecutive successes', () => {
    expect(run([true], down).verdict).toBe('down');
    expect(run([true, false, true], down).verdict).toBe('down');
    expect(run([true, true], down).verdict).toBe('up');
  });

  it('stays unknown until a threshold is reached', () => {
    expect(run([true]).verdict).toBe('unknown');
    expect(run([false, false]).verdict).toBe('unknown');
  });
});

describe('planFailover', () => {
  it('moves the record from a down active member to the healthy one', () => {
    const d = planFailover({ current: '192.0.2.1', failback: 'auto', members: [lb('lb1', '192.0.2.1', down), lb('lb2', '192.0.2.2', up)] });
    expect(d).toMatchObject({ action: 'upsert', from: 'lb1', to: 'lb2', value: '192.0.2.2' });
    expect(d.reason).toBe('lb1 is down after 3 failed probes (ECONNREFUSED); lb2 is healthy');
  });

  it('never moves to a member that is not confirmed up', () => {
    const d = planFailover({ current: '192.0.2.1', failback: 'auto', members: [lb('lb1', '192.0.2.1', down), lb('lb2', '192.0.2.2', unknown)] });
    expect(d).toMatchObject({ action: 'none', reason: 'lb1 is down but no other member is confirmed healthy yet' });
  });

  it('changes nothing and says all-down when every member is down', () => {
    const d = planFailover({ current: '192.0.2.1', failback: 'auto', members: [lb('lb1', '192.0.2.1', down), lb('lb2', '192.0.2.2', down)] });
    expect(d.action).toBe('all-down');
    expect(d.reason).toMatch(/^every member is down \(lb1: ECONNREFUSED; lb2: ECONNREFUSED\); the record stays on lb1$/);
  });

  it('fails back to the higher-priority member with auto, stays with sticky', () => {
    const members = [lb('lb1', '192.0.2.1', up), lb('lb2', '192.0.2.2', up)];
    expect(planFailover({ current: '192.0.2.2', failback: 'auto', members })).toMatchObject({ action: 'upsert', to: 'lb1', from: 'lb2' });
    expect(planFailover({ current: '192.0.2.2', failback: 'sticky', members })).toMatchObject({ action: 'none', from: 'lb2' });
  });

  it('does not fail back to a member that is only partly recovered', () => {
    const recovering: MemberHealth = { verdict: 'down', failures: 0, successes: 1, last: 'HTTP 200' };
    const d = planFailover({ current: '192.0.2.2', failback: 'auto', members: [lb('lb1', '192.0.2.1', recovering), lb('lb2', '192.0.2.2', up)] });
    expect(d.action).toBe('none');
  });

  it('creates a missing record pointing at the best healthy member, or waits', () => {
    expect(planFailover({ current: undefined, failback: 'auto', members: [lb('lb1', '192.0.2.1', down), lb('lb2', '192.0.2.2', up)] })).toMatchObject({
      action: 'create',
      to: 'lb2',
    });
    expect(planFailover({ current: undefined, failback: 'auto', members: [lb('lb1', '192.0.2.1', unknown), lb('lb2', '192.0.2.2', unknown)] }).action).toBe('none');
    expect(planFailover({ current: undefined, failback: 'auto', members: [lb('lb1', '192.0.2.1', down), lb('lb2', '192.0.2.2', down)] }).action).toBe('all-down');
  });

  it('follows the active member to its new address, identified by its former one', () => {
    const d = planFailover({ current: '203.0.113.5', failback: 'sticky', members: [lb('lb1', '203.0.113.9', up, ['203.0.113.5']), lb('lb2', '192.0.2.2', up)] });
    expect(d).toMatchObject({ action: 'upsert', to: 'lb1', from: 'lb1', value: '203.0.113.9', reason: "lb1's address changed from 203.0.113.5 to 203.0.113.9" });
  });

  it('takes over a record that points at no member, only with a healthy member', () => {
    const members = [lb('lb1', '192.0.2.1', up), lb('lb2', '192.0.2.2', up)];
    expect(planFailover({ current: '198.51.100.7', failback: 'sticky', members })).toMatchObject({ action: 'upsert', to: 'lb1' });
  });

  it('compares CNAME values without case or final dot', () => {
    const d = planFailover({ current: 'LB1.example.net.', failback: 'auto', members: [lb('lb1', 'lb1.example.net', up), lb('lb2', 'lb2.example.net', up)] });
    expect(d).toMatchObject({ action: 'none', from: 'lb1' });
  });

  it('skips members without an address even if their counters say up', () => {
    const d = planFailover({ current: '192.0.2.1', failback: 'auto', members: [lb('lb1', '192.0.2.1', down), lb('lb2', undefined, up)] });
    expect(d.action).toBe('none');
  });
});

describe('planSelfNames', () => {
  it('rewrites only self-names that do not point at the current address', () => {
    const changes = planSelfNames(
      [
        { name: 'lb1', selfName: 'lb1.example.com', key: '203.0.113.9' },
        { name: 'lb2', selfName: 'lb2.example.com', key: '192.0.2.2' },
        { name: 'lb3', selfName: 'lb3.example.com', key: undefined },
        { name: 'lb4', selfName: 'lb4.example.com', key: 'lb4.example.net' },
      ],
      new Map([
        ['lb1.example.com', '203.0.113.5'],
        ['lb2.example.com', '192.0.2.2'],
      ]),
    );
    expect(changes).toEqual([
      { member: 'lb1', name: 'lb1.example.com', value: '203.0.113.9', type: 'A' },
      { member: 'lb4', name: 'lb4.example.com', value: 'lb4.example.net', type: 'CNAME' },
    ]);
  });
});
