import { describe, expect, it } from 'vitest';
import { pruneOptionsFromFlags } from '../../cli/prune-flags';
import { InputError } from '../../shared/engine/errors';

describe('caretaker prune flags', () => {
  it('turns --volume and --older-than into a per-volume olderThanDays rule', () => {
    expect(pruneOptionsFromFlags({ volume: ['vol-0123456789abcdef0'], 'older-than': '7d' })).toEqual({
      volumes: [{ volumeId: 'vol-0123456789abcdef0', olderThanDays: 7, minKeep: 1, timeZone: 'UTC' }],
    });
    expect(pruneOptionsFromFlags({ volume: ['vol-0123456789abcdef0'], 'older-than': '2w' }).volumes![0]!.olderThanDays).toBe(14);
    expect(pruneOptionsFromFlags({ volume: ['vol-0123456789abcdef0'], 'older-than': '30' }).volumes![0]!.olderThanDays).toBe(30);
  });

  it('uses the config when neither flag is given', () => {
    expect(pruneOptionsFromFlags({ 'dry-run': true })).toEqual({});
  });

  it.each([
    [{ volume: ['vol-0123456789abcdef0'] }, '--older-than: required with --volume (e.g. 7d)'],
    [{ 'older-than': '7d' }, '--volume: required with --older-than (which volume?)'],
    [{ volume: ['vol-0123456789abcdef0'], 'older-than': '0d' }, "--older-than: '0d': expected a whole number of days or weeks ≥ 1, such as 7d, 7 or 2w"],
    [{ volume: ['vol-0123456789abcdef0'], 'older-than': '7h' }, "--older-than: '7h': expected a whole number of days or weeks ≥ 1, such as 7d, 7 or 2w"],
    [{ volume: ['volume-1'], 'older-than': '7d' }, "--volume: 'volume-1': expected a volume id like vol-0123456789abcdef0"],
  ])('rejects %j naming the flag', (flags, message) => {
    expect(() => pruneOptionsFromFlags(flags)).toThrow(InputError);
    expect(() => pruneOptionsFromFlags(flags)).toThrow(message);
  });
});

describe('caretaker prune', () => {
  it('dry-runs against the sandbox and exits 0; a bad flag exits 2', async () => {
    const { vi } = await import('vitest');
    const { main } = await import('../../cli/main');
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['prune', '--sandbox', '--dry-run'])).toBe(0);
      expect(out.join('\n')).toContain('[caretaker-demo] Prune dry run: 98 planned');
      expect(await main(['prune', '--sandbox', '--volume', 'vol-00000000000000003', '--older-than', 'soon'])).toBe(2);
      expect(err.join('\n')).toContain("--older-than: 'soon'");
    } finally {
      vi.restoreAllMocks();
    }
  });
});
