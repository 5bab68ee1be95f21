/** Tag keys the suite reads and writes, in one place. */
export const TAG = {
  /** On every snapshot the suite creates: the prune job only deletes snapshots carrying it. */
  managed: 'caretaker:managed',
  policy: 'caretaker:policy',
  /** The schedule slot a snapshot belongs to: a second run for the same slot makes nothing new. */
  slot: 'caretaker:slot',
  instance: 'caretaker:instance',
  /** On a snapshot: `2` when it retries, in the same slot, a snapshot that ended in `error` (absent: first attempt). */
  attempt: 'caretaker:attempt',
  /** Any value: the prune job never deletes this snapshot. */
  keep: 'caretaker:keep',
  /** On a cross-Region copy: the snapshot it was copied from (the status view counts copies by it). */
  copyOf: 'caretaker:copy-of',
  /** On instances: comma-separated snapshot policy names. */
  snapshotPolicies: 'caretaker:snapshot',
} as const;
