/**
 * Wall-clock time in an IANA time zone, from the runtime's Intl data: what EventBridge Scheduler
 * evaluates a `ScheduleExpressionTimezone` schedule in.
 */

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formats.set(timeZone, f);
  }
  return f;
}

export function wallClock(ms: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of format(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute! };
}

/** Local time minus UTC, in ms, at instant `ms`. */
export function offsetMs(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(ms / 60_000) * 60_000;
}

/**
 * The instants a local wall-clock minute names: none in a spring-forward gap, two in a fall-back
 * overlap, else one (sorted).
 */
export function localToUtc(w: WallClock, timeZone: string): number[] {
  const naive = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  const offsets = new Set([offsetMs(naive - 43_200_000, timeZone), offsetMs(naive, timeZone), offsetMs(naive + 43_200_000, timeZone)]);
  const out = new Set<number>();
  for (const o of offsets) {
    const t = naive - o;
    const back = wallClock(t, timeZone);
    if (back.year === w.year && back.month === w.month && back.day === w.day && back.hour === w.hour && back.minute === w.minute) out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * A time zone name EventBridge Scheduler takes: an IANA name exactly as the tz database spells it
 * (`Europe/Berlin`, not `europe/berlin`, which Intl would quietly accept). Returns the canonical
 * spelling when `tz` differs only in case, for the error message.
 */
export function checkTimeZone(tz: string): { ok: true } | { ok: false; suggestion?: string } {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return { ok: false };
  }
  if (resolved === tz || tz === 'UTC') return { ok: true };
  // Aliases (Asia/Calcutta → Asia/Kolkata) are valid tz names; only a change of case is a typo.
  if (resolved.toLowerCase() === tz.toLowerCase()) return { ok: false, suggestion: resolved };
  return { ok: true };
}
