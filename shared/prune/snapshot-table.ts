import type { Snapshot } from '@aws-sdk/client-ec2';
import { TAG } from '../tags';
import type { SnapshotRow } from './plan-retention';

const INITIAL_CAPACITY = 1024;
const ARCHIVE_TIER = 0b100;
const KEEP_TAG = 0b010;
const UNMANAGED = 0b001;
const STATE_SHIFT = 3;

/**
 * The snapshots the describe step keeps, one column per field, for the whole account: a run over
 * 100,000 snapshots holds them until each volume is planned. A row object per snapshot (seven
 * fields, a boxed start time) costs ~140 bytes with its id; here a snapshot is its id, 8 bytes
 * of start time and 12 of size, volume and state/flags. Repeated strings (volume ids, states) are
 * held once. {@link row} hands the planner an ordinary {@link SnapshotRow}, one volume at a time.
 */
export class SnapshotTable {
  #length = 0;
  #ids: string[] = [];
  #startMs = new Float64Array(INITIAL_CAPACITY);
  /** VolumeSize: a whole number of GiB (1 to 65,536). */
  #sizeGiB = new Int32Array(INITIAL_CAPACITY);
  #volume = new Int32Array(INITIAL_CAPACITY);
  /** state index << 3 | archive tier | keep tag | unmanaged. */
  #meta = new Int32Array(INITIAL_CAPACITY);
  #volumes = new Strings();
  #states = new Strings();

  get length(): number {
    return this.#length;
  }

  /** Keeps what the planner needs of `snapshot`; returns its index. */
  /** Adds a snapshot; `volumeId` overrides its own (a copy is grouped by its source volume: its VolumeId is arbitrary). */
  add(snapshot: Snapshot, unmanaged: boolean, volumeId = snapshot.VolumeId ?? ''): number {
    const i = this.#length++;
    if (i === this.#startMs.length) this.#grow();
    this.#ids.push(ownCopy(snapshot.SnapshotId ?? ''));
    this.#startMs[i] = snapshot.StartTime?.getTime() ?? 0;
    this.#sizeGiB[i] = snapshot.VolumeSize ?? 0;
    this.#volume[i] = this.#volumes.index(volumeId);
    const keepTag = snapshot.Tags?.some((t) => t.Key === TAG.keep) ?? false;
    // StorageTier is `standard` or `archive` (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html).
    const archiveTier = snapshot.StorageTier === 'archive';
    this.#meta[i] =
      (this.#states.index(snapshot.State ?? 'unknown') << STATE_SHIFT) | (archiveTier ? ARCHIVE_TIER : 0) | (keepTag ? KEEP_TAG : 0) | (unmanaged ? UNMANAGED : 0);
    return i;
  }

  /** Snapshot `i` as the planner reads it (a new object: let it go once the volume is planned). */
  row(i: number): SnapshotRow {
    if (!(i >= 0 && i < this.#length)) throw new RangeError(`no snapshot ${i} in a table of ${this.#length}`);
    const meta = this.#meta[i]!;
    return {
      id: this.#ids[i]!,
      volumeId: this.#volumes.at(this.#volume[i]!),
      startMs: this.#startMs[i]!,
      state: this.#states.at(meta >> STATE_SHIFT),
      sizeGiB: this.#sizeGiB[i]!,
      keepTag: (meta & KEEP_TAG) !== 0,
      unmanaged: (meta & UNMANAGED) !== 0,
      storageTier: meta & ARCHIVE_TIER ? 'archive' : 'standard',
    };
  }

  /** Whether DescribeSnapshots listed snapshot `i` in the archive tier (`StorageTier: archive`). */
  inArchiveTier(i: number): boolean {
    return (this.#meta[i]! & ARCHIVE_TIER) !== 0;
  }

  volumeId(i: number): string {
    return this.#volumes.at(this.#volume[i]!);
  }

  /** Lets every snapshot go (the run keeps only what it deletes). */
  clear(): void {
    this.#length = 0;
    this.#ids = [];
    this.#startMs = new Float64Array(0);
    this.#sizeGiB = new Int32Array(0);
    this.#volume = new Int32Array(0);
    this.#meta = new Int32Array(0);
  }

  #grow(): void {
    const capacity = Math.max(INITIAL_CAPACITY, this.#startMs.length * 2);
    const grown = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.#startMs = grown(this.#startMs, (n) => new Float64Array(n));
    this.#sizeGiB = grown(this.#sizeGiB, (n) => new Int32Array(n));
    this.#volume = grown(this.#volume, (n) => new Int32Array(n));
    this.#meta = grown(this.#meta, (n) => new Int32Array(n));
  }
}

/** One copy of each distinct string, by index (10,000 volume ids for 100,000 snapshots, a few states). */
class Strings {
  readonly #list: string[] = [];
  readonly #index = new Map<string, number>();

  index(text: string): number {
    let i = this.#index.get(text);
    if (i === undefined) {
      i = this.#list.push(ownCopy(text)) - 1;
      this.#index.set(this.#list[i]!, i);
    }
    return i;
  }

  at(i: number): string {
    return this.#list[i]!;
  }
}

/**
 * A string that holds only its own characters. A parser may hand out slices of the page it read;
 * a row keeping a slice would keep the whole page (~600 KB per 1,000 snapshots) alive.
 */
export function ownCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}
