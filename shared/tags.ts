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
  /** On a cross-Region copy: `<source Region>:<source snapshot id>`; finds the copy of a source (idempotency). */
  copyOf: 'caretaker:copy-of',
  /** On a copy: the Region of its source. */
  sourceRegion: 'caretaker:source-region',
  /** On a copy: its source's volume (a copy's own VolumeId is arbitrary); prune groups copies by it. */
  sourceVolume: 'caretaker:source-volume',
  /** On a copy: its source's start time (ISO 8601); copies only move forward in time per volume. */
  sourceStart: 'caretaker:source-start',
  /** On instances: comma-separated snapshot policy names. */
  snapshotPolicies: 'caretaker:snapshot',
} as const;
