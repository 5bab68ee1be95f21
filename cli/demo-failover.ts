import { makeHandler } from '../functions/dns-failover';
import { parseConfig } from '../shared/config/load';
import type { HealthMemory } from '../shared/failover/run-failover';
import { failoverScene, LB1_IP, LB2_IP } from '../sandbox/failover-scene';
import { lambdaContext, sandboxDeps } from '../sandbox/handler-deps';
import type { EmfWriter } from '../shared/metrics/emit-metrics';
import { compactEmf } from './dashboard-text';
import { bold, DEMO_EMAIL_LINES, dim, printEmail } from './output';

/** Demo timings, shortened so the story plays in seconds (defaults: 5 s interval, 60 s invocations). */
const DEMO = { intervalS: 0.5, recheckS: 0.25, budgetMs: 8_000, killAtMs: 2_000, reviveAtMs: 4_500 };

/**
 * The failover part of `caretaker demo`: two real HTTP servers on 127.0.0.1 play LB1 and LB2,
 * lb.example.com points at LB1, and one real invocation of the dns-failover handler watches them
 * while the demo kills LB1 (the record moves to LB2) and brings it back (auto failback to LB1).
 * Returns 1 if the story did not happen as told.
 */
export async function runFailoverDemo(step: number, emf: EmfWriter = () => undefined): Promise<number> {
  const scene = await failoverScene({
    sandbox: { timeScale: 1, start: new Date('2026-11-22T05:00:00Z') },
    group: { probeIntervalSeconds: DEMO.intervalS, recheckIntervalSeconds: DEMO.recheckS },
  });
  const topicArn = scene.sandbox.sns.addTopic('caretaker-demo-alerts');
  const config = { ...parseConfig({ alerts: { subjectPrefix: '[caretaker-demo]' } }), failover: { ...scene.config, stopBeforeDeadlineSeconds: 1 } };
  const { clock } = scene.sandbox;
  // Real waits here (scale 1): the servers die and come back in real time.
  const lines: string[] = [];
  const deps = { ...sandboxDeps(scene.sandbox, config, topicArn, undefined, (l) => (lines.push(l), emf(l))), sleep: clock.scaledSleep };
  const memory: HealthMemory = new Map();
  const name = (ip: string | undefined) => (ip === LB1_IP ? 'LB1' : ip === LB2_IP ? 'LB2' : String(ip));

  console.log(bold(`${step}. DNS failover: LB1 dies, lb.example.com moves to LB2, then back`));
  console.log(dim(`   LB1 (${LB1_IP}) and LB2 (${LB2_IP}) are real HTTP servers on 127.0.0.1:${scene.lb1.port} and :${scene.lb2.port}.`));
  console.log(dim(`   One dns-failover invocation watches them: probes every ${DEMO.intervalS} s, rechecks ${DEMO.recheckS} s apart, down after 3 failures,`));
  console.log(dim('   up after 2 successes, failback auto. (Deployed defaults: 5 s probes in a loop filling each one-minute invocation.)'));

  const started = clock.nowMs();
  const at = () => `+${((clock.nowMs() - started) / 1000).toFixed(1)} s`;
  let shown = scene.active();
  const moves: string[] = [];
  console.log(`   ${at()}  lb.example.com → ${shown} (${name(shown)})`);
  const watcher = setInterval(() => {
    const now = scene.active();
    if (now === shown) return;
    shown = now;
    moves.push(name(now));
    console.log(`   ${at()}  lb.example.com → ${now} (${name(now)}), TTL 60`);
  }, 20);
  const kill = setTimeout(() => {
    console.log(`   ${at()}  LB1 killed (its port now refuses connections)`);
    void scene.lb1.kill();
  }, DEMO.killAtMs);
  const revive = setTimeout(() => {
    console.log(`   ${at()}  LB1 back up`);
    void scene.lb1.revive();
  }, DEMO.reviveAtMs);

  let failed = 0;
  try {
    const handler = makeHandler(deps, memory);
    const event = { version: '0', 'detail-type': 'Scheduled Event', source: 'aws.events', time: clock.now().toISOString(), detail: {} };
    await handler(event, lambdaContext('caretaker-demo-dns-failover', DEMO.budgetMs, () => clock.nowMs()));
    const done = deps.lastReport().results.filter((r) => r.outcome === 'done').length;
    console.log(`   → ${done} record change(s); ${scene.sandbox.calls.length} AWS API calls, ${scene.sandbox.mutatingCalls().length} mutating`);
  } catch (error) {
    failed = 1;
    console.log(`   → the invocation failed: ${(error as Error).message}`);
  } finally {
    clearInterval(watcher);
    clearTimeout(kill);
    clearTimeout(revive);
    await scene.close();
  }
  if (moves.join(',') !== 'LB2,LB1') {
    failed = 1;
    console.log(`   → expected the record to move to LB2 and back to LB1, saw: ${moves.join(' → ') || 'no move'}`);
  }
  for (const line of lines) console.log(dim(`   metric ${compactEmf(line)}`));
  for (const m of scene.sandbox.sns.messages) printEmail(m.subject, m.message, DEMO_EMAIL_LINES);
  return failed;
}
