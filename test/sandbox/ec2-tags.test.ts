import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { FleetBuilder } from '../../sandbox/fleet';
import { tagRecord } from '../../shared/aws/filters';

function world(lagMs: number, seed = 1) {
  const sandbox = new SandboxAccount({ start: new Date('2026-01-10T00:00:00Z'), timeScale: 0, seed, timings: { tagVisibilityLagMs: lagMs } });
  const id = new FleetBuilder(sandbox).instance({ name: 'web', tags: { team: 'a' } }).InstanceId!;
  const ec2 = sandbox.clients().ec2;
  const seen = async () => tagRecord((await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!.Tags);
  const tag = (Key: string, Value: string) => ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key, Value }] }));
  return { sandbox, id, ec2, seen, tag };
}

describe('sandbox EC2 tags: eventual consistency and limits', () => {
  it('shows a tag write in DescribeInstances only once its delay has passed, while the account already acts on it', async () => {
    const { sandbox, id, seen, tag } = world(10_000);
    await tag('k', 'v1');
    // IAM conditions and the model see it at once.
    expect(tagRecord(sandbox.ec2.requireInstance(id).Tags).k).toBe('v1');
    sandbox.clock.advance(10_001);
    expect((await seen()).k).toBe('v1');
  });

  it('lets writes surface in either order: some seed shows a later write before an earlier one', async () => {
    const orders = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      const { sandbox, seen, tag } = world(10_000, seed);
      await tag('a', '1');
      await tag('b', '1');
      const views: string[] = [];
      for (let t = 0; t <= 10_000; t += 500) {
        const s = await seen();
        views.push(`${s.a ?? '-'}${s.b ?? '-'}`);
        sandbox.clock.advance(500);
      }
      orders.add(views.find((v) => v !== '--' && v !== '11') ?? 'together');
    }
    // "1-" is the first write alone, "-1" the second alone: both happen.
    expect(orders).toContain('1-');
    expect(orders).toContain('-1');
  });

  it('shows an overwritten key as the newest visible value, never an undone newer one', async () => {
    const { sandbox, seen, tag } = world(10_000, 3);
    await tag('k', 'old');
    sandbox.clock.advance(10_001);
    await tag('k', 'new');
    expect(['old', 'new']).toContain((await seen()).k);
    sandbox.clock.advance(10_001);
    expect((await seen()).k).toBe('new');
  });

  it('without lag (the default) shows every write at once', async () => {
    const { seen, tag } = world(0);
    await tag('k', 'v');
    expect((await seen()).k).toBe('v');
  });

  it('refuses a 51st user tag (TagLimitExceeded); aws: tags do not count', async () => {
    const { sandbox, id, ec2 } = world(0);
    const own = sandbox.ec2.requireInstance(id).Tags!.length;
    const Tags = Array.from({ length: 49 - own }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags }));
    sandbox.ec2.requireInstance(id).Tags!.push({ Key: 'aws:cloudformation:stack-name', Value: 's' });
    // The 50th user tag fits beside the aws: one; a 51st does not.
    await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'fiftieth', Value: 'v' }] }));
    await expect(ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'fifty-first', Value: 'v' }] }))).rejects.toMatchObject({ name: 'TagLimitExceeded' });
    expect(Object.keys(tagRecord(sandbox.ec2.requireInstance(id).Tags))).toHaveLength(51);
  });

  it('DeleteTags without Tags removes every user tag, keeping aws: ones', async () => {
    const { sandbox, id, ec2 } = world(0);
    sandbox.ec2.requireInstance(id).Tags!.push({ Key: 'aws:autoscaling:groupName', Value: 'g' });
    await ec2.send(new DeleteTagsCommand({ Resources: [id] }));
    expect(tagRecord(sandbox.ec2.requireInstance(id).Tags)).toEqual({ 'aws:autoscaling:groupName': 'g' });
  });
});
