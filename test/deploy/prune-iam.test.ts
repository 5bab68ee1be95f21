import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { pruneStatements } = require('../../deploy/iam.cjs') as { pruneStatements: (config: object) => Array<{ Sid: string; Condition?: unknown }> };

describe('prune-snapshots IAM', () => {
  it('conditions DeleteSnapshot on the managed tag unless the config selects unmanaged snapshots', () => {
    expect(pruneStatements({ prune: {} })[1]).toMatchObject({ Sid: 'DeleteOnlyManagedSnapshots', Condition: { StringEquals: { 'aws:ResourceTag/caretaker:managed': 'true' } } });
    const opened = pruneStatements({ prune: { includeUnmanaged: { volumeIds: ['vol-0123456789abcdef0'] } } })[1]!;
    expect(opened.Sid).toBe('DeleteSnapshotsIncludingUnmanaged');
    expect(opened.Condition).toBeUndefined();
  });
});
