import type { GroupMeasures, ItemResult, JobContext, RunReport } from '../engine/types';
import { skipResult } from '../engine/run';
import { interner, type PruneState, type SnapshotGroup } from './describe-snapshots';
import { DELETE_ACTION, judgeRetention, type PruneDecision, type PruneItem, type SnapshotRow } from './plan-retention';
import { countPlanEntry, emptyTally, FOREIGN_REASON, type PruneTally, tallyVerdict } from './summarize-prune';
import { assessFreshness, backupAgeLine, staleVolumeItem, WorstBackupAge } from './freshness';
import { pendingCopyHold } from './copies';
import { ARCHIVE_ACTION, type TierInfo } from './plan-archive';
import type { PruneConfig } from './config';

/** Reports and metrics count per policy; every `prune.volumes` rule counts as one group (not one per volume). */
export const VOLUME_RULES_GROUP = 'prune.volumes';
export const UNMANAGED_GROUP = 'unmanaged';

/** What the planner needs besides the snapshots: read once per Region before anything is planned. */
export interface PlanInputs {
  amiSnapshotIds: ReadonlySet<string>;
  /** Sources whose copy is still pending (the copy hold). */
  pendingCopies: ReadonlyMap<string, string>;
  /** The archive's times; undefined when nothing is archived or may be. */
  tiering?: ReadonlyMap<string, TierInfo>;
}

/**
 * One Region's plan as it is made, group by group: the tally every summary figure comes from,
 * the archive moves, the stale volumes and backup ages, and (in a dry run only) every entry. A run
 * may plan its groups in several rounds as the describe step completes them (early-start.ts);
 * each group is planned once and let go.
 *
 * What a run holds per snapshot is what a 256 MB function can prune. The describe step keeps a
 * compact table; a volume's rows exist only while it is planned; the planner's verdict on a
 * snapshot is a rule mask, so a kept snapshot leaves only counts and builds no reason, and a
 * deletion is one object whose reason is shared by its group (measured: bench/bundles.ts, prune100k).
 */
export class RegionPlanner {
  readonly tally: PruneTally = emptyTally();
  readonly archives: PruneDecision[] = [];
  readonly skips: ItemResult[] = [];
  readonly plan: RunReport['plan'] = [];
  readonly volumes = new Set<string>();
  /** Snapshots with a start time in the future (a clock ahead of ours). */
  future = 0;
  foreign = 0;
  private readonly intern = interner();
  private readonly ages = new Map<string, { worst: WorstBackupAge; staleAfterMs?: number }>();
  private readonly now: number;

  constructor(
    private readonly ctx: Pick<JobContext, 'now' | 'dryRun'>,
    private readonly prune: Pick<PruneConfig, 'minAgeHours' | 'deleteErrorSnapshotsAfterDays' | 'maxArchivesInProgress'>,
    private readonly inputs: PlanInputs,
    private readonly report: RunReport,
  ) {
    this.now = ctx.now.getTime();
    this.tally.archive.maxInProgress = prune.maxArchivesInProgress;
    for (const t of inputs.tiering?.values() ?? []) if (t.op === 'archival-in-progress') this.tally.archive.inProgress++;
  }

  /**
   * Plans the groups of `state` that `ready` accepts (every one by default), each once: it leaves
   * the state. Returns their deletions. `yieldEvery` lets deletions running beside the planning
   * have the event loop between volumes rather than after thousands of them.
   */
  async planGroups(state: PruneState, ready: (group: SnapshotGroup) => boolean = () => true, yieldEvery = 0): Promise<PruneDecision[]> {
    const deletions: PruneDecision[] = [];
    let planned = 0;
    for (const [key, group] of state.groups) {
      if (!ready(group)) continue;
      if (yieldEvery > 0 && ++planned % yieldEvery === 0) await new Promise((resolve) => setImmediate(resolve));
      this.planGroup(state, group, deletions);
      state.groups.delete(key);
    }
    return deletions;
  }

  private planGroup(state: PruneState, group: SnapshotGroup, deletions: PruneDecision[]): void {
    const { ctx, tally, now } = this;
    const { table } = state;
    this.volumes.add(group.volumeId);
    const scopeGroup = reportGroup(group.scope);
    const rows = group.members.map((i) => table.row(i));
    const { amiSnapshotIds, pendingCopies, tiering } = this.inputs;
    const judged = judgeRetention(rows, group.retain, {
      now: ctx.now,
      minAgeHours: this.prune.minAgeHours,
      amiSnapshotIds,
      staleAfterMs: group.staleAfterMs,
      errorMaxAgeMs: this.prune.deleteErrorSnapshotsAfterDays * 86_400_000,
      tiering,
    });
    judged.sorted.forEach((row, i) => {
      // A source whose copy is still pending stays until the copy completes.
      const held = judged.isDeletion(i) ? pendingCopyHold(row.id, pendingCopies) : undefined;
      const action = held ? 'skip' : judged.action(i);
      const rules = held?.rules ?? judged.rules(i);
      const archived = judged.archived(i);
      tallyVerdict(tally, scopeGroup, action, rules, row, archived);
      if (ctx.dryRun) {
        // Listed in full, but with the reasons and rule lists that repeat held once.
        const d = { ...judged.decision(i), action, reason: this.intern(held?.reason ?? judged.reason(i)), group: scopeGroup };
        d.payload.rules = rules;
        this.plan.push({ target: d.target, action: d.action, reason: d.reason, group: d.group });
        if (action === DELETE_ACTION) deletions.push(d);
        else if (action === ARCHIVE_ACTION) this.archives.push(d);
        else this.skips.push(skipResult(d));
      } else if (action === DELETE_ACTION) {
        deletions.push(new PlannedDeletion(row, this.intern(judged.reason(i)), scopeGroup, judged.rules(i), archived));
      } else if (action === ARCHIVE_ACTION) {
        // Moves are few (the archive's rules and the in-progress quota bound them): one decision each.
        this.archives.push({ ...judged.decision(i), reason: this.intern(judged.reason(i)), group: scopeGroup });
      }
    });
    const freshness = assessFreshness(rows, group.staleAfterMs, now);
    if (freshness.stale) (this.report.actionNeeded ??= []).push(staleVolumeItem({ ...group, freshness }, now));
    let age = this.ages.get(scopeGroup);
    if (!age) this.ages.set(scopeGroup, (age = { worst: new WorstBackupAge(), staleAfterMs: group.staleAfterMs }));
    age.worst.add(freshness, now);
    for (const row of rows) if (row.startMs > now) this.future++;
  }

  /** Counts (and in a dry run lists) the unmanaged snapshots of listed volumes that are left alone. */
  planForeign(state: PruneState): void {
    for (const index of state.foreign) {
      const row = state.table.row(index);
      this.volumes.add(row.volumeId);
      const entry = { target: row.id, action: 'skip', reason: FOREIGN_REASON, group: UNMANAGED_GROUP };
      countPlanEntry(this.tally, entry.group, entry.action);
      if (this.ctx.dryRun) {
        this.plan.push(entry);
        this.skips.push(skipResult(entry));
      }
    }
    this.foreign += state.foreign.length;
    state.foreign = [];
  }

  /** The worst backup age per group, for metrics, and its summary lines. Volume rules each have their own guard: their group's age has no one threshold. */
  measures(): { measures: GroupMeasures[]; lines: string[] } {
    const measures = [...this.ages].flatMap(([group, { worst, staleAfterMs }]) =>
      worst.ageMs === undefined
        ? []
        : [{ group, worstBackupAgeMs: worst.ageMs, volumes: worst.volumes, worstCompleted: worst.completed, ...(group !== VOLUME_RULES_GROUP && staleAfterMs !== undefined ? { staleAfterMs } : {}) }],
    );
    const lines = measures.flatMap((m) => backupAgeLine(m.group === VOLUME_RULES_GROUP ? 'the prune.volumes rules' : `policy ${m.group}`, m) ?? []);
    return { measures, lines };
  }
}

/**
 * A planned deletion held until it is carried out: the decision and its payload in one object
 * (a run may hold 50,000 of them for its whole 15 minutes), serialised as the decision it is.
 */
class PlannedDeletion implements PruneDecision, PruneItem {
  readonly target: string;
  readonly volumeId: string;
  readonly sizeGiB: number;
  readonly startMs: number;
  readonly unmanaged: boolean;
  readonly archived?: true;
  constructor(
    row: SnapshotRow,
    readonly reason: string,
    readonly group: string,
    /** Shared with every deletion of the same verdict: read-only. */
    readonly rules: PruneItem['rules'],
    archived: boolean,
  ) {
    ({ id: this.target, volumeId: this.volumeId, sizeGiB: this.sizeGiB, startMs: this.startMs, unmanaged: this.unmanaged } = row);
    if (archived) this.archived = true;
  }
  get action(): string {
    return DELETE_ACTION;
  }
  get payload(): PruneItem {
    return this;
  }
}

function reportGroup(scope: string): string {
  if (scope.startsWith('copy ')) return `${scope.slice('copy '.length)} copies`;
  return scope.startsWith('policy ') ? scope.slice('policy '.length) : VOLUME_RULES_GROUP;
}
