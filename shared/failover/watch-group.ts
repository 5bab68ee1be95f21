import type { RRType } from '@aws-sdk/client-route-53';
import { errorCode, errorMessage } from '../aws/errors';
import type { ItemResult, JobContext, RunReport } from '../engine/types';
import { changeRecord, moveAddress, waitInsync } from './apply-failover';
import { bare, type FailoverGroup, recheckSeconds } from './config';
import { describeAddressOwner, describeMembers, type MemberAddress } from './describe-members';
import { checkZone, describeRecord, recordValue } from './describe-record';
import { type FailoverDecision, type MemberView, planFailover, planSelfNames } from './plan-failover';
import { probeMember } from './probe-member';
import type { ProbeResult } from './probe-tcp';
import { initialHealth, type MemberHealth, trackHealth } from './track-health';

/** Failed move attempts (each already retried) after which a run stops trying. */
const MAX_FAILED_MOVES = 3;

/** Health carried between warm invocations of the same container (reserved concurrency 1). */
export type HealthMemory = Map<string, { health: MemberHealth; atMs: number }>;

/** What one pass of the watch loop saw and decided; handed to `onPass` (demo, tests, bench). */
export interface PassEvent {
  group: string;
  pass: number;
  atMs: number;
  current: string | undefined;
  members: Array<{ name: string; key?: string; probe: ProbeResult; health: MemberHealth }>;
  decision: FailoverDecision;
}

export interface WatchOptions {
  /** Probe until every member has a verdict (or the thresholds' worth of passes), decide once, stop. */
  once: boolean;
  stopBeforeMs: number;
  maxPasses?: number;
  signal?: AbortSignal;
  memory?: HealthMemory;
  onPass?(event: PassEvent): void | Promise<void>;
}

/**
 * The watch loop of one group: every `probeIntervalSeconds`, look up member addresses, probe all
 * members at once, update hysteresis counters, read the record (the source of truth), plan, act.
 * Runs until `stopBeforeMs` before the deadline. Writes its plan entries and results into `report`.
 */
export async function watchGroup(ctx: JobContext, group: FailoverGroup, options: WatchOptions, report: RunReport): Promise<void> {
  const dns = group.mode === 'dns';
  const id = dns ? group.recordName! : group.allocationId!;
  const type = group.type as RRType;
  const intervalMs = group.probeIntervalSeconds * 1000;
  const recheckMs = recheckSeconds(group) * 1000;
  const maxTimeout = Math.max(...group.members.map((m) => m.probe.timeoutMs));
  // Elastic IP mode probes private IPs: the public one is the moving address itself.
  const members = dns ? group.members : group.members.map((m) => ({ ...m, address: 'private' as const }));

  if (dns && !(await zoneIsUsable(ctx, group, report))) return;
  const selfPublished = new Map<string, string | undefined>();
  const seenKeys = new Map<string, Set<string>>(members.map((m) => [m.name, new Set<string>()]));
  // Self-names are secondary: one that cannot be read is left alone this run, and never holds up
  // the failover of the service record.
  const selfUnread = new Set<string>();
  if (dns) {
    for (const m of members.filter((x) => x.selfName)) {
      const type = m.ip || m.instanceId ? 'A' : 'CNAME';
      try {
        const value = recordValue(await describeRecord(ctx.clients.route53, group.hostedZoneId!, m.selfName!, type));
        selfPublished.set(bare(m.selfName!), value);
        // The self-name remembers where the member was: that identifies it after an IP change.
        if (value) seenKeys.get(m.name)!.add(value);
      } catch (error) {
        selfUnread.add(bare(m.selfName!));
        report.notes.push(`${group.name}: could not read ${m.selfName} (${errorCode(error)}); left as is this run.`);
      }
    }
  }

  const health = new Map<string, MemberHealth>();
  for (const m of members) {
    const kept = options.memory?.get(`${group.name}/${m.name}`);
    // Fresh if no more than the gap between two scheduled invocations (stop margin + a pass or two) passed.
    const fresh = kept && ctx.nowMs() - kept.atMs <= 2 * intervalMs + options.stopBeforeMs;
    health.set(m.name, fresh ? kept.health : initialHealth);
  }

  const pending: Array<Promise<void>> = [];
  const onceLimit = Math.max(group.failureThreshold, group.successThreshold);
  let changes = 0;
  let failedMoves = 0;
  let allDownReported = false;
  let acted = false;
  let last: FailoverDecision = { action: 'none', reason: 'no pass ran (no time left)' };
  const started = ctx.nowMs();
  let nextAt = started;

  for (let pass = 1; ; pass++) {
    if (options.signal?.aborted || (options.maxPasses !== undefined && pass > options.maxPasses)) break;
    const wait = nextAt - ctx.nowMs();
    // A pass must finish (probe timeout) before the stop margin; otherwise end the run now.
    if (ctx.deadline.remainingMs() - Math.max(wait, 0) < options.stopBeforeMs + maxTimeout) break;
    if (wait > 0) await ctx.sleep(wait);
    const passAt = ctx.nowMs();
    nextAt = passAt + intervalMs;

    let addresses: Map<string, MemberAddress>;
    let current: string | undefined;
    try {
      addresses = await describeMembers(ctx.clients.ec2, members);
    } catch (error) {
      // An API error says nothing about the members' health: skip the pass, do not count it.
      report.notes.push(`${group.name} pass ${pass}: could not look up members (${errorCode(error)}); pass skipped`);
      continue;
    }
    const probes = await Promise.all(members.map((m) => probeMember(m.probe, addresses.get(m.name)?.address, addresses.get(m.name)?.missing)));
    members.forEach((m, i) => {
      const h = trackHealth(health.get(m.name)!, probes[i]!, group);
      health.set(m.name, h);
      options.memory?.set(`${group.name}/${m.name}`, { health: h, atMs: ctx.nowMs() });
    });
    // A member that has started failing is confirmed (or cleared) at the recheck spacing.
    if (members.some((m) => health.get(m.name)!.failures > 0 && health.get(m.name)!.verdict !== 'down')) nextAt = passAt + recheckMs;
    try {
      current = dns
        ? recordValue(await describeRecord(ctx.clients.route53, group.hostedZoneId!, group.recordName!, type))
        : await describeAddressOwner(ctx.clients.ec2, group.allocationId!);
    } catch (error) {
      report.notes.push(`${group.name} pass ${pass}: could not read ${id} (${errorCode(error)}); no decision this pass`);
      continue;
    }

    const views: MemberView[] = members.map((m) => ({
      name: m.name,
      key: dns ? addresses.get(m.name)?.address : addresses.get(m.name)?.address && m.instanceId,
      formerKeys: [...seenKeys.get(m.name)!],
      health: health.get(m.name)!,
    }));
    const decision = planFailover({ current, members: views, failback: group.failback });
    last = decision;
    await options.onPass?.({
      group: group.name,
      pass,
      atMs: ctx.nowMs(),
      current,
      members: members.map((m, i) => ({ name: m.name, key: views[i]!.key, probe: probes[i]!, health: health.get(m.name)! })),
      decision,
    });

    if (decision.action === 'all-down' && !allDownReported) {
      allDownReported = true;
      report.plan.push({ target: id, action: 'all-down', reason: decision.reason });
      report.results.push({ id, group: group.name, action: 'all-down', outcome: 'failed', errorCode: 'AllMembersDown', reason: `ALL MEMBERS DOWN, nothing changed: ${decision.reason}` });
    }
    if (decision.action === 'upsert' || decision.action === 'create') {
      const action = dns ? decision.action : 'associate-address';
      if (changes >= group.maxChangesPerRun) {
        addError(
          report,
          'BlastRadiusError',
          `${group.name}: ${changes} changes already this run (maxChangesPerRun=${group.maxChangesPerRun}); flapping? not moving ${id} again: ${decision.reason}`,
        );
        break;
      }
      report.plan.push({ target: id, action, reason: decision.reason });
      if (ctx.dryRun) {
        acted = true;
        break;
      }
      acted = true;
      const result = await act(ctx, group, decision, views, pending, options);
      // The same object: a background INSYNC wait still updates its reason.
      result.group = group.name;
      report.results.push(result);
      if (result.outcome === 'done') changes++;
      // Each pass re-plans, so a failed move is tried again; a move that keeps failing (no
      // permission, zone locked) is left to the next run rather than hammered every pass.
      else if (++failedMoves >= MAX_FAILED_MOVES) {
        report.notes.push(`${group.name}: ${failedMoves} moves failed; no further attempt this run`);
        break;
      }
    }
    for (const m of views) if (m.key) seenKeys.get(m.name)!.add(m.key);

    if (dns) await keepSelfNamesCurrent(ctx, group, views, selfPublished, selfUnread, report);
    if (options.once && (acted || pass >= onceLimit || views.every((v) => v.health.verdict !== 'unknown'))) break;
  }

  await Promise.all(pending);
  // One result per group: a move, the all-down alarm, or else a skip saying why nothing moved.
  if (!acted && !allDownReported) {
    const verdicts = members.map((m) => `${m.name} ${health.get(m.name)!.verdict}`).join(', ');
    report.plan.push({ target: id, action: 'skip', reason: `${last.reason} [${verdicts}]` });
    report.results.push({ id, group: group.name, action: 'skip', outcome: 'skipped', reason: `${last.reason} [${verdicts}]` });
  }
  report.notes.push(
    `${group.name}: ${members.map((m) => `${m.name} ${health.get(m.name)!.verdict} (${health.get(m.name)!.last ?? 'not probed'})`).join('; ')}; ` +
      `${Math.round((ctx.nowMs() - started) / 1000)} s watched`,
  );
}

/** Carries out one move; Route 53 changes then wait for INSYNC in the background, bounded. */
async function act(
  ctx: JobContext,
  group: FailoverGroup,
  decision: FailoverDecision,
  views: MemberView[],
  pending: Array<Promise<void>>,
  options: WatchOptions,
): Promise<ItemResult> {
  const target = views.find((v) => v.name === decision.to)!;
  const details: Record<string, string> = { to: decision.to!, value: decision.value!, ...(decision.from ? { from: decision.from } : {}) };
  if (group.mode === 'elastic-ip') {
    const id = group.allocationId!;
    try {
      const association = await moveAddress(ctx.clients.ec2, id, target.key!, ctx.sleep);
      return { id, action: 'associate-address', outcome: 'done', reason: decision.reason, details: { ...details, association: association ?? '' } };
    } catch (error) {
      return { id, action: 'associate-address', outcome: 'failed', errorCode: errorCode(error), reason: `${errorMessage(error)} (wanted: ${decision.reason})`, details };
    }
  }
  const id = group.recordName!;
  const action = decision.action as 'upsert' | 'create';
  let changeId: string;
  try {
    changeId = await changeRecord(
      ctx.clients.route53,
      {
        zoneId: group.hostedZoneId!,
        action: action === 'create' ? 'CREATE' : 'UPSERT',
        name: id,
        type: group.type,
        ttl: group.ttl,
        value: decision.value!,
        comment: `caretaker ${ctx.runId}: ${decision.reason}`,
      },
      ctx.sleep,
    );
  } catch (error) {
    return { id, action, outcome: 'failed', errorCode: errorCode(error), reason: `${errorMessage(error)} (wanted: ${decision.reason})`, details };
  }
  const result: ItemResult = { id, action, outcome: 'done', reason: decision.reason, details: { ...details, changeId, status: 'PENDING' } };
  const leftS = (ctx.deadline.remainingMs() - options.stopBeforeMs) / 1000;
  const bounds = { ...group.insync, maxWaitSeconds: Math.min(group.insync.maxWaitSeconds, leftS) };
  pending.push(
    waitInsync(ctx.clients.route53, changeId, bounds).then(({ status, note }) => {
      result.details!.status = status;
      if (note) result.reason += `; ${note}`;
    }),
  );
  return result;
}

async function zoneIsUsable(ctx: JobContext, group: FailoverGroup, report: RunReport): Promise<boolean> {
  const names = [
    { path: `${group.name}.recordName`, name: group.recordName! },
    ...group.members.filter((m) => m.selfName).map((m) => ({ path: `${group.name}.${m.name}.selfName`, name: m.selfName! })),
  ];
  try {
    const problems = await checkZone(ctx.clients.route53, group.hostedZoneId!, names);
    if (problems.length === 0) return true;
    addError(report, 'InputError', problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  } catch (error) {
    addError(report, errorCode(error), `${group.name}.hostedZoneId ${group.hostedZoneId}: ${errorMessage(error)}`);
  }
  return false;
}

function addError(report: RunReport, code: string, message: string): void {
  report.error = report.error ? { code: report.error.code, message: `${report.error.message}; ${message}` } : { code, message };
}

/** Rewrites self-names whose member moved; one result per rewrite, failures do not stop the loop. */
async function keepSelfNamesCurrent(
  ctx: JobContext,
  group: FailoverGroup,
  views: MemberView[],
  published: Map<string, string | undefined>,
  unread: Set<string>,
  report: RunReport,
): Promise<void> {
  const withNames = views.map((v) => ({ ...v, selfName: group.members.find((m) => m.name === v.name)!.selfName }));
  for (const change of planSelfNames(withNames, published).filter((c) => !unread.has(bare(c.name)))) {
    const reason = `${change.member} is at ${change.value}${published.get(bare(change.name)) ? ` (was ${published.get(bare(change.name))})` : ''}`;
    report.plan.push({ target: change.name, action: 'upsert-self-name', reason });
    // Planned or attempted once per run: a failing rewrite is reported, not retried every pass.
    published.set(bare(change.name), change.value);
    if (ctx.dryRun) continue;
    try {
      await changeRecord(
        ctx.clients.route53,
        { zoneId: group.hostedZoneId!, action: 'UPSERT', name: change.name, type: change.type, ttl: group.ttl, value: change.value, comment: `caretaker ${ctx.runId}: self-name` },
        ctx.sleep,
      );
      report.results.push({ id: change.name, action: 'upsert-self-name', outcome: 'done', reason });
    } catch (error) {
      report.results.push({ id: change.name, action: 'upsert-self-name', outcome: 'failed', errorCode: errorCode(error), reason: errorMessage(error) });
    }
  }
}
