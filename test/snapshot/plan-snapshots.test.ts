import type { Instance, Snapshot, Volume } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { FleetState } from '../../shared/snapshot/describe-fleet';
import { planSnapshots } from '../../shared/snapshot/plan-snapshots';
import { config } from '../helpers';

const policy = (extra: Record<string, unknown> = {}) =>
  config({
    snapshot: {
      policies: [{ name: 'daily', schedule: 'rate(1 day)', selector: { tags: { 'caretaker:snapshot': ['daily'] } }, ...extra }],
    },
  }).snapshot.policies[0]!;

const vol = (id: string, extra: Partial<Volume> = {}): Volume => ({ VolumeId: id, VolumeType: 'gp3', Size: 8, ...extra });

function instance(id: string, volumes: string[], extra: Partial<Instance> = {}): Instance {
  return {
    InstanceId: id,
    State: { Name: 'running' },
    RootDeviceName: '/dev/xvda',
    Tags: [{ Key: 'caretaker:snapshot', Value: 'daily' }],
    BlockDeviceMappings: volumes.map((v, i) => ({ DeviceName: i === 0 ? '/dev/xvda' : `/dev/sd${'fgh'[i - 1]}`, Ebs: { VolumeId: v } })),
    ...extra,
  };
}

function state(instances: Instance[], volumes: Volume[], over: Partial<FleetState> = {}, p = policy()): FleetState {
  return {
    policy: p,
    slot: '2026-03-05T03:00:00Z',
    instances,
    missingIds: [],
    volumes: new Map(volumes.map((v) => [v.VolumeId!, v])),
    slotSnapshots: [],
    pendingByVolume: new Map(),
    history: new Map(),
    completions: { fromMs: 0, toMs: 0, count: 0, fromSlot: false, newerSlot: false },
    countsCompletions: false,
    ...over,
  };
}

describe('planSnapshots', () => {
  it.each([
    ['a running instance with two volumes', [instance('i-1', ['vol-a', 'vol-b'])], {}, 'snapshot', '2 volume(s)'],
    ['a stopped instance', [instance('i-1', ['vol-a'], { State: { Name: 'stopped' } })], {}, 'snapshot', '1 volume(s)'],
    ['a terminated instance', [instance('i-1', ['vol-a'], { State: { Name: 'terminated' } })], {}, 'skip', 'instance is terminated'],
    ['an instance without EBS volumes', [instance('i-1', [])], {}, 'skip', 'no EBS volumes attached'],
    [
      'an instance already done in this slot',
      [instance('i-1', ['vol-a'])],
      { slotSnapshots: [{ SnapshotId: 'snap-1', State: 'completed', Tags: [{ Key: 'caretaker:instance', Value: 'i-1' }] } as Snapshot] },
      'skip',
      'already snapshotted for slot 2026-03-05T03:00:00Z (snap-1)',
    ],
    [
      'an instance whose slot snapshot is still pending',
      [instance('i-1', ['vol-a'])],
      { slotSnapshots: [{ SnapshotId: 'snap-1', State: 'pending', Tags: [{ Key: 'caretaker:instance', Value: 'i-1' }] } as Snapshot] },
      'skip',
      'slot 2026-03-05T03:00:00Z in progress: snap-1 still pending',
    ],
    [
      'an instance whose slot snapshot ended in error',
      [instance('i-1', ['vol-a'])],
      { slotSnapshots: [{ SnapshotId: 'snap-1', State: 'error', Tags: [{ Key: 'caretaker:instance', Value: 'i-1' }] } as Snapshot] },
      'snapshot',
      'retry of snap-1 (ended in error); 1 volume(s)',
    ],
    [
      'an instance whose retry ended in error too',
      [instance('i-1', ['vol-a'])],
      {
        slotSnapshots: [
          { SnapshotId: 'snap-1', State: 'error', Tags: [{ Key: 'caretaker:instance', Value: 'i-1' }] },
          { SnapshotId: 'snap-2', State: 'error', Tags: [{ Key: 'caretaker:instance', Value: 'i-1' }, { Key: 'caretaker:attempt', Value: '2' }] },
        ] as Snapshot[],
      },
      'skip',
      'slot 2026-03-05T03:00:00Z: the retry ended in error too (snap-2); not retried again',
    ],
    [
      'a volume at the pending limit',
      [instance('i-1', ['vol-a'])],
      { pendingByVolume: new Map([['vol-a', 5]]) },
      'skip',
      'volume vol-a has 5 pending snapshot(s): per-volume limit reached',
    ],
  ])('%s → %s', (_name, instances, over, action, reason) => {
    const [decision] = planSnapshots(state(instances, [vol('vol-a'), vol('vol-b')], over as Partial<FleetState>));
    expect(decision).toMatchObject({ target: 'i-1', action, reason });
  });

  it('applies the st1/sc1 limit of one pending snapshot', () => {
    const [d] = planSnapshots(state([instance('i-1', ['vol-a'])], [vol('vol-a', { VolumeType: 'st1' })], { pendingByVolume: new Map([['vol-a', 1]]) }));
    expect(d!.action).toBe('skip');
  });

  it('excludes the boot volume and tagged data volumes with the right CreateSnapshots fields', () => {
    const p = policy({ excludeBootVolume: true, excludeVolumeTags: { backup: ['no'] } });
    const [d] = planSnapshots(
      state([instance('i-1', ['vol-a', 'vol-b', 'vol-c'])], [vol('vol-a'), vol('vol-b', { Tags: [{ Key: 'backup', Value: 'no' }] }), vol('vol-c')], {}, p),
    );
    expect(d!.payload).toMatchObject({ excludeBootVolume: true, excludeDataVolumeIds: ['vol-b'], volumeIds: ['vol-c'] });
    expect(d!.reason).toBe('1 volume(s); excluded vol-a (boot volume), vol-b (tag backup=no)');
  });

  it('excludes a tagged boot volume with ExcludeBootVolume, not ExcludeDataVolumeIds', () => {
    const p = policy({ excludeVolumeTags: { backup: ['no'] } });
    const [d] = planSnapshots(state([instance('i-1', ['vol-a', 'vol-b'])], [vol('vol-a', { Tags: [{ Key: 'backup', Value: 'no' }] }), vol('vol-b')], {}, p));
    expect(d!.payload).toMatchObject({ excludeBootVolume: true, excludeDataVolumeIds: [] });
  });

  it('skips when every volume is excluded', () => {
    const p = policy({ excludeBootVolume: true });
    const [d] = planSnapshots(state([instance('i-1', ['vol-a'])], [vol('vol-a')], {}, p));
    expect(d).toMatchObject({ action: 'skip', reason: 'all volumes excluded: vol-a (boot volume)' });
  });

  it('matches the policy name inside a comma list, never as a substring', () => {
    const both = instance('i-1', ['vol-a'], { Tags: [{ Key: 'caretaker:snapshot', Value: 'weekly, daily' }] });
    const other = instance('i-2', ['vol-a'], { Tags: [{ Key: 'caretaker:snapshot', Value: 'nodaily' }] });
    expect(planSnapshots(state([both, other], [vol('vol-a')])).map((d) => d.target)).toEqual(['i-1']);
  });

  it('reports listed instance ids that do not exist', () => {
    expect(planSnapshots(state([], [], { missingIds: ['i-0abc'] }))).toEqual([
      { target: 'i-0abc', action: 'skip', reason: 'instance not found (listed in selector.instanceIds)', payload: undefined },
    ]);
  });

  it('tags every snapshot for ownership, policy, slot and instance, plus extra tags', () => {
    const p = policy({ extraTags: { team: 'ops' } });
    const [d] = planSnapshots(state([instance('i-1', ['vol-a'], { Tags: [{ Key: 'caretaker:snapshot', Value: 'daily' }, { Key: 'Name', Value: 'web-1' }] })], [vol('vol-a')], {}, p));
    expect(d!.payload!.tags).toEqual([
      { Key: 'team', Value: 'ops' },
      { Key: 'Name', Value: 'web-1 daily 2026-03-05T03:00:00Z' },
      { Key: 'caretaker:managed', Value: 'true' },
      { Key: 'caretaker:policy', Value: 'daily' },
      { Key: 'caretaker:slot', Value: '2026-03-05T03:00:00Z' },
      { Key: 'caretaker:instance', Value: 'i-1' },
    ]);
  });
});
