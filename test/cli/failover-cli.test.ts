import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { captureConsole } from '../helpers';

describe('caretaker failover', () => {
  const { out, err } = captureConsole();

  it('--once on an account without groups reports that and exits 0', async () => {
    expect(await main(['failover', '--sandbox', '--once'])).toBe(0);
    expect(out.join('\n')).toContain('no failover groups configured');
  });

  it('exits 2 for a bad --passes and for an unknown --group (bad input, nothing probed)', async () => {
    expect(await main(['failover', '--sandbox', '--passes', '0'])).toBe(2);
    expect(err.join('\n')).toContain('--passes: expected a positive integer');
    expect(await main(['failover', '--sandbox', '--once', '--group', 'nope'])).toBe(2);
    expect(err.join('\n')).toContain("groups[0]: no failover group named 'nope' (configured: none)");
  });

  it('the demo moves lb.example.com to LB2 when LB1 dies and back with auto failback', async () => {
    expect(await main(['demo'])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/LB1 killed[\s\S]*lb\.example\.com → 192\.0\.2\.20 \(LB2\)[\s\S]*LB1 back up[\s\S]*lb\.example\.com → 192\.0\.2\.10 \(LB1\)/);
    expect(text).toContain('[caretaker-demo] DNS failover ok: 2 done, 0 skipped');
  });
});
