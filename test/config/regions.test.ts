import { describe, expect, it } from 'vitest';
import { configProblems } from '../helpers';
import { parseConfigText } from '../../shared/config/load';
import { assertRegionScopes, regionScopeProblems } from '../../shared/config/region-scopes';
import { KNOWN_REGIONS } from '../../shared/config/regions';

const problems = configProblems;

const policy = (extra: string) => `
snapshot:
  policies:
    - name: daily
      schedule: cron(0 3 * * ? *)
      selector: { tags: { backup: [daily] } }
${extra}`;

const copy = (region: string, more = '') => `      copyTo:
        - region: ${region}
          retain: { daily: 7 }${more}`;

describe('Regions in the config', () => {
  it('knows exactly the Regions of the SDK endpoint data (so a new Region needs a copy refresh, caught here)', async () => {
    // The SDK's own partition table (internal path, not an export: read here only, never bundled).
    const file: string = '../../node_modules/@aws-sdk/core/dist-es/submodules/client/util-endpoints/lib/aws/partitions.js';
    const { partitionsInfo } = (await import(file)) as { partitionsInfo: { partitions: unknown[] } };
    const sdk: Record<string, string> = {};
    for (const p of partitionsInfo.partitions as Array<{ id: string; regionRegex: string; regions: Record<string, unknown> }>) {
      for (const r of Object.keys(p.regions)) if (new RegExp(p.regionRegex).test(r)) sdk[r] = p.id;
    }
    expect(KNOWN_REGIONS).toEqual(sdk);
  });

  it('accepts a list, all, or nothing (the deployment Region)', () => {
    expect(parseConfigText('regions: [us-east-1, eu-west-1]').regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(parseConfigText('regions: all').regions).toBe('all');
    expect(parseConfigText('{}').regions).toBeUndefined();
  });

  it('refuses unknown Regions, duplicates, an empty list and mixed partitions, naming the field', () => {
    expect(problems('regions: [us-east-1, eu-west-9]')).toEqual(["regions[1]: unknown Region 'eu-west-9' (expected a Region such as eu-west-1)"]);
    expect(problems('regions: [us-east-1, us-east-1]')).toEqual(['regions[1]: duplicate Region us-east-1']);
    expect(problems('regions: []')).toEqual(['regions: list at least one Region, or leave the key out']);
    expect(problems('regions: every')).toEqual(["regions: expected a list of Regions or 'all'"]);
    expect(problems('regions: [us-east-1, cn-north-1]')).toEqual(['regions[1]: cn-north-1 is in the aws-cn partition, the others in aws: one deployment covers one partition']);
  });

  it('refuses a narrowing outside the top-level list', () => {
    const text = `regions: [us-east-1, eu-west-1]\nprune: { regions: [eu-west-2] }\ndegraded: { regions: [us-east-1] }\n${policy('      regions: [ap-south-1]')}`;
    expect(problems(text)).toEqual([
      'snapshot.policies[0].regions[0]: ap-south-1 is not one of regions: [us-east-1, eu-west-1]; add it there first',
      'prune.regions[0]: eu-west-2 is not one of regions: [us-east-1, eu-west-1]; add it there first',
    ]);
  });

  it('refuses a copy to a Region the policy snapshots in, a wrong-Region key and duplicate targets', () => {
    expect(problems(`regions: [us-east-1, eu-west-1]\n${policy(copy('eu-west-1'))}`)).toEqual([
      "snapshot.policies[0].copyTo[0].region: the policy snapshots in eu-west-1 itself: a copy in the same Region is no backup against losing it; copy to another Region or narrow the policy's regions",
    ]);
    const wrongKey = copy('eu-west-1', '\n          kmsKeyId: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(problems(`regions: [us-east-1]\n${policy(wrongKey)}`)).toEqual([
      'snapshot.policies[0].copyTo[0].kmsKeyId: the key is in us-east-1; a copy in eu-west-1 needs a key of eu-west-1 (KMS keys are Regional)',
    ]);
    const twice = `${copy('eu-west-1')}\n        - region: eu-west-1\n          retain: { daily: 3 }`;
    expect(problems(`regions: [us-east-1]\n${policy(twice)}`)).toEqual(['snapshot.policies[0].copyTo[1].region: duplicate copy Region eu-west-1']);
    expect(parseConfigText(`regions: [us-east-1, eu-west-1]\n${policy(`      regions: [us-east-1]\n${copy('eu-west-1')}`)}`).snapshot.policies[0]!.copyTo[0]).toMatchObject({ region: 'eu-west-1', copyTags: true });
  });

  it('checks the deployment Region and the enabled Regions at run time', () => {
    const config = parseConfigText(policy(copy('eu-west-1')));
    expect(regionScopeProblems(config, 'us-east-1')).toEqual([]);
    expect(() => assertRegionScopes(config, 'eu-west-1')).toThrow(/copyTo\[0\]\.region: the policy snapshots in eu-west-1 itself/);
    const enabled = new Set(['us-east-1']);
    expect(regionScopeProblems(config, 'us-east-1', enabled)).toEqual([
      { path: 'snapshot.policies[0].copyTo[0].region', message: 'eu-west-1 is not enabled for this account (DescribeRegions); enable it or remove it' },
    ]);
  });

  it('refuses an archive rule that would delete archived snapshots within the 90-day minimum', () => {
    const retain = (r: string) => `snapshot:\n  policies:\n    - name: p\n      schedule: rate(1 day)\n      selector: { tags: { b: [] } }\n      retain: ${r}`;
    expect(parseConfigText(retain('{ daily: 7, monthly: 12, archive: { afterDays: 30, rules: [monthly] } }')).snapshot.policies[0]!.retain?.archive).toEqual({ afterDays: 30, rules: ['monthly'] });
    expect(problems(retain('{ daily: 7, monthly: 3, archive: { afterDays: 30, rules: [monthly] } }'))).toEqual([
      "snapshot.policies[0].retain.archive.afterDays: monthly: 3 keeps a snapshot as little as 56 days; archived after 30 days it could be deleted within the archive's 90-day minimum (charged as kept): archive earlier or keep more monthly snapshots",
    ]);
    expect(problems(retain('{ daily: 7, archive: { afterDays: 30, rules: [yearly] } }'))).toEqual([
      'snapshot.policies[0].retain.archive.rules[0]: yearly is not set in this retain block, so it keeps nothing to archive',
    ]);
  });
});
