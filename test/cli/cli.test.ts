import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { captureConsole } from '../helpers';

describe('caretaker CLI', () => {
  const { out, err } = captureConsole();

  it('validate-config exits 2 naming a typo, 0 for the shipped config', async () => {
    const file = join(tmpdir(), `caretaker-${process.pid}.yml`);
    await writeFile(file, 'snapshot:\n  policies:\n    - name: daily\n      schedule: rate(1 day)\n      selector: { tags: { a: [] } }\n      retian: { daily: 7 }\n');
    expect(await main(['validate-config', '--config', file])).toBe(2);
    expect(err.join('\n')).toContain("snapshot.policies[0].retian: unknown key (did you mean 'retain'?)");
    expect(await main(['validate-config'])).toBe(0);
  });

  it('runs a job against the sandbox and exits 0', async () => {
    expect(await main(['snapshot', '--policy', 'daily', '--sandbox'])).toBe(0);
    // Both Regions of the demo account: 4 instances in us-east-1, web-eu-1 in eu-west-1.
    expect(out.join('\n')).toContain('[caretaker-demo] Snapshot ok: 5 done, 0 skipped');
  });

  it('exits 2 for a missing required flag or an unknown flag or command', async () => {
    expect(await main(['snapshot', '--sandbox'])).toBe(2);
    expect(err.join('\n')).toContain('--policy: required');
    expect(await main(['snapshot', '--polcy', 'x'])).toBe(2);
    expect(await main(['snapshots'])).toBe(2);
  });

  it('degraded scans the sandbox, plans in a dry run and relaunches for real; a bad --instance exits 2', async () => {
    expect(await main(['degraded', '--sandbox', '--dry-run'])).toBe(0);
    expect(out.join('\n')).toMatch(/relaunch +i-[0-9a-f]+: instance-retirement/);
    expect(await main(['degraded', '--sandbox', '--instance', 'web-1'])).toBe(2);
    expect(err.join('\n')).toContain("--instance[0]: 'web-1': expected an instance id");
    expect(await main(['degraded', '--sandbox'])).toBe(0);
    expect(out.join('\n')).toContain('[caretaker-demo] Degraded hosts ok: 1 done, 0 skipped');
  });

  it('the demo runs every job through its handler and exits 0', async () => {
    expect(await main(['demo'])).toBe(0);
    expect(out.join('\n')).toContain('Account afterwards');
    // The dashboard's freshness panels, drawn from the demo's own EMF lines.
    expect(out.join('\n')).toMatch(/│ completed daily \(Sum\) +2 /);
    expect(out.join('\n')).toMatch(/│ age daily \(Maximum\) +24 █+\n +│ stale after daily \(Maximum\) +36 █+/);
    expect(out.join('\n')).toMatch(/Elastic IP 52\.20\.0\.10 → i-[0-9a-f]+; app\.example\.com A 52\.20\.0\.10/);
    // Two Regions: the fleet in both, db-1's snapshots copied from us-east-1 to eu-west-1 once they complete.
    const text = out.join('\n');
    expect(text).toContain('Account 123456789012 in us-east-1 and eu-west-1');
    expect(text).toMatch(/web-eu-1: 2 volumes, daily snapshots/);
    expect(text).toMatch(/copy-snapshot snap-[0-9a-f]+: copy started in eu-west-1 \(copy=snap-[0-9a-f]+, region=eu-west-1\)/);
    expect(text).toMatch(/^ {2}daily \/ archive-snapshot: done 2$/m);
    expect(text).toMatch(/^ {2}us-east-1: 9 volume\(s\) selected, 0 stale; \d+ snapshot\(s\), 2 moved to the archive tier; copies from other Regions: none$/m);
    expect(text).toMatch(/^ {2}eu-west-1: 2 volume\(s\) selected, .*copies from other Regions: db-consistent 0 completed, 2 pending$/m);
  });
});
