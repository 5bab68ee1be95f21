import type { ProgressUpdate } from '../shared/engine/types';

export interface ProgressOptions {
  /** A person is watching: redraw one line (`\r`). Otherwise (CI, logs, pipes) print plain lines. */
  tty: boolean;
  write(text: string): void;
  /** The run's clock, in ms (the sandbox's in `--sandbox` runs). */
  nowMs(): number;
  /** Plain mode prints at most one line per this many ms (and always the last one). */
  plainEveryMs?: number;
  /** TTY mode redraws at most this often. */
  redrawEveryMs?: number;
  width?: number;
}

/**
 * Shows long CLI work: done / planned, the rate against the API's limit and an ETA, as a redrawn
 * bar on a terminal or as plain lines (every 10 s by default) in CI and logs. Free-text messages
 * pass through as lines.
 *
 * @example
 * const show = progressMeter({ tty: process.stderr.isTTY, write: (t) => process.stderr.write(t), nowMs: Date.now });
 * show({ job: 'prune', action: 'delete-snapshot', done: 500, planned: 49_783, failed: 0, limitPerSecond: 5 });
 * // prune delete-snapshot [##----------------------]  500/49,783 (1.0 %) · 4.9/s of 5/s (98 %) · ETA 2h 47m
 */
export function progressMeter(options: ProgressOptions): (update: string | ProgressUpdate) => void {
  const plainEvery = options.plainEveryMs ?? 10_000;
  const redrawEvery = options.redrawEveryMs ?? 200;
  let started: { atMs: number; done: number; key: string } | undefined;
  let lastShownMs = Number.NEGATIVE_INFINITY;
  let onBar = false;
  const endBar = () => {
    if (onBar) options.write('\n');
    onBar = false;
  };
  return (update) => {
    if (typeof update === 'string') {
      endBar();
      options.write(`… ${update}\n`);
      return;
    }
    const now = options.nowMs();
    const key = `${update.job}/${update.action}/${update.planned}`;
    if (!started || started.key !== key) {
      endBar();
      started = { atMs: now, done: update.done, key };
      lastShownMs = Number.NEGATIVE_INFINITY;
    }
    const last = update.done >= update.planned;
    if (!last && now - lastShownMs < (options.tty ? redrawEvery : plainEvery)) return;
    lastShownMs = now;
    const line = progressLine(update, (now - started.atMs) / 1000, update.done - started.done, options.tty ? (options.width ?? 24) : 0);
    if (options.tty) {
      options.write(`\r\x1b[2K${line}`);
      onBar = !last;
      if (last) options.write('\n');
    } else options.write(`${line}\n`);
  };
}

/**
 * One progress line: `prune delete-snapshot 500/49,783 (1.0 %) · 4.9/s of 5/s (98 %) · ETA 2h 47m`;
 * for copies, also how many are in flight of the destination's limit and how many wait.
 */
export function progressLine(u: ProgressUpdate, elapsedSeconds: number, doneSinceStart: number, barWidth = 0): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const pct = u.planned > 0 ? (100 * u.done) / u.planned : 100;
  const rate = elapsedSeconds > 0 ? doneSinceStart / elapsedSeconds : 0;
  const bar = barWidth > 0 ? ` [${'#'.repeat(Math.round((pct / 100) * barWidth)).padEnd(barWidth, '-')}]` : '';
  const parts = [`${u.job} ${u.action}${bar} ${n(u.done)}/${n(u.planned)} (${pct.toFixed(1)} %)`];
  if (rate > 0) parts.push(`${rate.toFixed(1)}/s${u.limitPerSecond ? ` of ${u.limitPerSecond}/s (${Math.round((100 * rate) / u.limitPerSecond)} %)` : ''}`);
  if (u.inFlight) parts.push(`${n(u.inFlight.now)}/${n(u.inFlight.limit)} in flight${u.inFlight.waiting > 0 ? `, ${n(u.inFlight.waiting)} waiting for a slot` : ''}`);
  if (u.failed > 0) parts.push(`${n(u.failed)} failed`);
  if (u.done >= u.planned) parts.push('done');
  else if (rate > 0) parts.push(`ETA ${duration((u.planned - u.done) / rate)}`);
  return parts.join(' · ');
}

function duration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
