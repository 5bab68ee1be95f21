import { CopySnapshotCommand, type CopySnapshotCommandInput, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxAccount } from '../../sandbox/account';
import { COPY_LIMIT_PER_DESTINATION, COPY_VOLUME_ID } from '../../sandbox/ec2-copy-snapshot';
import { FleetBuilder } from '../../sandbox/fleet';
import { type SandboxServer, serveSandbox } from '../../sandbox/http/server';

const DAY = 86_400_000;

function world() {
  const sandbox = new SandboxAccount({ start: new Date('2026-11-22T03:00:00Z'), timeScale: 0, regions: ['us-east-1', 'eu-west-1'], timings: { snapshotCompleteMs: 60_000 } });
  const fleet = new FleetBuilder(sandbox);
  const volume = fleet.volume({ sizeGiB: 8 });
  const completed = fleet.snapshot(volume, DAY, { 'caretaker:managed': 'true', Name: 'web-1' });
  completed.Encrypted = false; // the builder's snapshots are encrypted; this one is not
  const pending = fleet.snapshot(volume, 1000, {}, true);
  const eu = sandbox.clients({ region: 'eu-west-1', maxAttempts: 1 }).ec2;
  const copy = (input: Partial<CopySnapshotCommandInput> = {}) => eu.send(new CopySnapshotCommand({ SourceRegion: 'us-east-1', SourceSnapshotId: completed.SnapshotId!, ...input }));
  const describe = async (id: string) => (await eu.send(new DescribeSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots![0]!;
  return { sandbox, fleet, volume, completed, pending, eu, copy, describe };
}

const servers: SandboxServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('Sandbox CopySnapshot', () => {
  it('copies a completed snapshot into the Region the request is sent to: pending, then completed, tagged at creation, arbitrary volume id', async () => {
    const { sandbox, copy, describe, completed } = world();
    const out = await copy({ Description: 'copy of web-1', TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'caretaker:copy-of', Value: `us-east-1:${completed.SnapshotId}` }] }] });
    expect(out.Tags).toEqual([{ Key: 'caretaker:copy-of', Value: `us-east-1:${completed.SnapshotId}` }]);
    const made = await describe(out.SnapshotId!);
    expect(made).toMatchObject({ State: 'pending', VolumeId: COPY_VOLUME_ID, VolumeSize: 8, Description: 'copy of web-1', Encrypted: false });
    expect(sandbox.inRegion('us-east-1').ec2.snapshots.has(out.SnapshotId!)).toBe(false);
    sandbox.clock.advance(60_000);
    expect((await describe(out.SnapshotId!)).State).toBe('completed');
    // The SDK signs a PresignedUrl for the source Region and names the destination itself.
    expect(sandbox.callsOf('CopySnapshot')[0]!.input).toMatchObject({ DestinationRegion: 'eu-west-1', PresignedUrl: expect.stringContaining('X-Amz-Signature') });
  });

  it('refuses a missing, pending or archived source, an unknown source Region, a wrong DestinationRegion and a non-snapshot tag spec', async () => {
    const { sandbox, copy, pending, completed } = world();
    await expect(copy({ SourceSnapshotId: 'snap-0000000000000dead' })).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    await expect(copy({ SourceSnapshotId: pending.SnapshotId })).rejects.toMatchObject({ name: 'IncorrectState', message: expect.stringContaining('pending') });
    await expect(copy({ SourceRegion: 'ap-south-1' })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(copy({ TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'a', Value: 'b' }] }] })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(copy({ Description: 'x'.repeat(256) })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    // The SDK's own DestinationRegion is the client's Region; one that disagrees is refused.
    await expect(sandbox.handle('ec2', 'CopySnapshot', { SourceRegion: 'us-east-1', SourceSnapshotId: completed.SnapshotId, DestinationRegion: 'us-west-2' }, 'eu-west-1')).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    sandbox.ec2.snapshots.get(completed.SnapshotId!)!.data.StorageTier = 'archive';
    await expect(copy()).rejects.toMatchObject({ name: 'IncorrectState', message: expect.stringContaining('archived') });
    expect(sandbox.inRegion('eu-west-1').ec2.snapshots.size).toBe(0);
  });

  it(`allows at most ${COPY_LIMIT_PER_DESTINATION} copies in flight per destination Region, whoever started them`, async () => {
    const { sandbox, copy } = world();
    for (let i = 0; i < COPY_LIMIT_PER_DESTINATION; i++) await copy();
    await expect(copy()).rejects.toMatchObject({ name: 'ResourceLimitExceeded', message: 'Too many snapshot copies in progress. The limit is 20 for this destination region.' });
    // Copies into the other Region count against that Region's limit only.
    const back = new FleetBuilder(sandbox, 'eu-west-1');
    const euSnap = back.snapshot(back.volume({ sizeGiB: 8 }), DAY);
    await expect(sandbox.clients().ec2.send(new CopySnapshotCommand({ SourceRegion: 'eu-west-1', SourceSnapshotId: euSnap.SnapshotId }))).resolves.toMatchObject({ SnapshotId: expect.any(String) });
    sandbox.clock.advance(60_000);
    await expect(copy()).resolves.toMatchObject({ SnapshotId: expect.any(String) });
  });

  it('encrypts as EBS does: encrypted source → encrypted copy, Encrypted for a plain one, KmsKeyId only with Encrypted, default key otherwise', async () => {
    const { sandbox, copy, describe, completed } = world();
    const kms = sandbox.inRegion('eu-west-1').kms;
    const key = kms.createKey('alias/backups');
    await expect(copy({ KmsKeyId: key })).rejects.toMatchObject({ name: 'InvalidParameterDependency' });
    const plain = await describe((await copy()).SnapshotId!);
    expect(plain.Encrypted).toBe(false);
    const byDefault = await describe((await copy({ Encrypted: true })).SnapshotId!);
    expect(byDefault).toMatchObject({ Encrypted: true, KmsKeyId: kms.defaultEbsKeyArn });
    const byAlias = await describe((await copy({ Encrypted: true, KmsKeyId: 'alias/backups' })).SnapshotId!);
    expect(byAlias.KmsKeyId).toBe(key);
    sandbox.ec2.snapshots.get(completed.SnapshotId!)!.data.Encrypted = true;
    const fromEncrypted = await describe((await copy({ Encrypted: false })).SnapshotId!);
    expect(fromEncrypted.Encrypted).toBe(true);
  });

  it('checks the KMS key asynchronously: a key that does not exist there, or of another Region, lets the call succeed and the copy end in error', async () => {
    const { sandbox, copy, describe } = world();
    const usKey = sandbox.inRegion('us-east-1').kms.createKey();
    const missing = (await copy({ Encrypted: true, KmsKeyId: 'alias/nope' })).SnapshotId!;
    const otherRegion = (await copy({ Encrypted: true, KmsKeyId: usKey })).SnapshotId!;
    expect((await describe(missing)).State).toBe('pending');
    sandbox.clock.advance(60_000);
    for (const id of [missing, otherRegion]) {
      expect(await describe(id)).toMatchObject({ State: 'error', StateMessage: expect.stringContaining('does not exist in eu-west-1') });
    }
  });

  it('is served over HTTP: the SDK adds PresignedUrl and DestinationRegion, the front decodes them', async () => {
    const { sandbox, completed } = world();
    const server = await serveSandbox(sandbox);
    servers.push(server);
    const eu = new EC2Client({ region: 'eu-west-1', endpoint: server.url, credentials: { accessKeyId: 'A', secretAccessKey: 'B' }, maxAttempts: 1 });
    const out = await eu.send(
      new CopySnapshotCommand({ SourceRegion: 'us-east-1', SourceSnapshotId: completed.SnapshotId, Encrypted: true, TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'k', Value: 'v' }] }] }),
    );
    expect(out.SnapshotId).toMatch(/^snap-/);
    expect(out.Tags).toEqual([{ Key: 'k', Value: 'v' }]);
    const call = sandbox.callsOf('CopySnapshot')[0]!;
    expect(call).toMatchObject({ region: 'eu-west-1', input: { DestinationRegion: 'eu-west-1', Encrypted: true, PresignedUrl: expect.stringContaining('us-east-1') } });
    await expect(eu.send(new CopySnapshotCommand({ SourceRegion: 'us-east-1', SourceSnapshotId: 'snap-0000000000000dead' }))).rejects.toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    await expect(eu.send(new CopySnapshotCommand({ SourceRegion: 'us-east-1', SourceSnapshotId: completed.SnapshotId, KmsKeyId: 'alias/x' }))).rejects.toMatchObject({ name: 'InvalidParameterDependency' });
  });
});
