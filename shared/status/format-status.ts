import type { RegionStatus } from './plan-status';

/** A plain-text table: columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function age(hours: number): string {
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} d`;
}

/**
 * One Region's status as text: snapshot coverage per policy and volume, degraded instances,
 * failover groups.
 *
 * @example
 * console.log(formatStatus(planStatus(await describeStatus(ctx, config), config, ctx.now)).join('\n'));
 */
export function formatStatus(s: RegionStatus): string[] {
  if (s.copyOnly) {
    // Nothing else of the Region is the suite's business: its copies alone, read-only.
    return [`Region ${s.region} (copies only: a copyTo destination outside \`regions\`), ${s.at}`, '', ...formatCopies(s)];
  }
  const out = [`Region ${s.region}, ${s.at}`, ''];
  const stale = s.volumes.filter((v) => v.stale).length;
  out.push(`Snapshots (${s.volumes.length} volume(s), ${stale} stale):`);
  if (s.volumes.length === 0) out.push('  no policy selects a volume');
  else {
    out.push(
      ...table(
        ['policy', 'instance', 'volume', 'newest completed', 'age', 'kept by rule', 'expiring', 'pending', 'stale'],
        s.volumes.map((v) => [
          v.policy,
          `${v.instanceId}${v.instanceName ? ` ${v.instanceName}` : ''}`,
          v.volumeId,
          v.newestCompleted ? `${v.newestCompleted.snapshotId} ${v.newestCompleted.at.slice(0, 16)}Z` : 'none',
          v.newestCompleted ? age(v.newestCompleted.ageHours) : '-',
          Object.entries(v.kept)
            .map(([rule, n]) => `${rule} ${n}`)
            .join(', ') || '-',
          String(v.expiring),
          String(v.pending),
          v.stale ? 'STALE' : v.newestCompleted ? 'ok' : 'new',
        ]),
      ).map((l) => `  ${l}`),
    );
  }
  out.push('', ...formatCopies(s));
  out.push('', `Degraded hosts (${s.degraded.length}):`);
  if (s.degraded.length === 0) out.push('  none');
  else {
    out.push(
      ...table(
        ['instance', 'state', 'remediation', 'since', 'notice now'],
        s.degraded.map((d) => [`${d.instanceId}${d.name ? ` ${d.name}` : ''}`, d.state, d.remediation ?? 'none yet', d.since?.slice(0, 16) ?? '-', d.notice ?? '-']),
      ).map((l) => `  ${l}`),
    );
  }
  out.push('', `Failover groups (${s.groups.length}):`);
  if (s.groups.length === 0) out.push('  none configured');
  for (const g of s.groups) {
    out.push(`  ${g.group}: ${g.record} → active ${g.active}`);
    out.push(...table(['member', 'address', 'probe now'], g.members.map((m) => [m.name, m.address, m.probe])).map((l) => `    ${l}`));
  }
  return out;
}

/** The copies that landed in a Region, per policy, and the pending ones with their sources. */
function formatCopies(s: RegionStatus): string[] {
  const out: string[] = [];
  const pending = s.copies.flatMap((c) => c.pending.map((p) => ({ policy: c.policy, ...p })));
  out.push(`Copies from other Regions (${s.copies.reduce((n, c) => n + c.completed, 0)} completed, ${pending.length} pending):`);
  if (s.copies.length === 0) out.push('  none');
  else {
    out.push(
      ...table(
        ['policy', 'completed', 'newest completed', 'age', 'pending', 'failed'],
        s.copies.map((c) => [
          c.policy,
          String(c.completed),
          c.newestCompleted ? `${c.newestCompleted.snapshotId} ${c.newestCompleted.at.slice(0, 16)}Z` : 'none',
          c.newestCompleted ? age(c.newestCompleted.ageHours) : '-',
          String(c.pending.length),
          c.failed ? `${c.failed} FAILED` : '0',
        ]),
      ).map((l) => `  ${l}`),
    );
    if (pending.length) {
      out.push('  Pending copies (their sources are kept until they complete):');
      out.push(...table(['copy', 'copy of', 'policy', 'started', 'progress'], pending.map((p) => [p.snapshotId, p.copyOf, p.policy, `${p.startedAt.slice(0, 16)}Z`, p.progress])).map((l) => `    ${l}`));
    }
  }
  return out;
}
