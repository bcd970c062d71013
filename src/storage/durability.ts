// When a log's records reach the disk, per --fsync policy: the periodic sync (`interval`), the
// seals of rolled chunks (synced now under `always`, in the background under `interval`, at
// close under `none`), the sync at close, and the durable point (DURABLE, durable.ts) that each
// of them moves forward. The round writer (writer.ts) calls in; nothing here writes records.
import type { LogdError } from '../../protocol/errors.ts';
import { type Chunk, VanishedError } from './chunk.ts';
import type { ChunkSet } from './chunk-set.ts';
import { atOrAfter, currentBoot, writeDurable, type DurablePoint } from './durable.ts';
import { datasyncFile, io, syncDir } from './io.ts';
import type { FsyncPolicy } from './policy.ts';

/**
 * Under --fsync interval, at most this many of a log's newest sealed chunks wait for their seal at
 * any time (beforeRoll): a power loss tears no further back (the durable point is never older).
 */
export const UNSYNCED_SEALED_CHUNKS = 4;

export interface DurabilityHost {
  readonly name: string;
  readonly dir: string;
  readonly chunks: ChunkSet;
  logger(line: string): void;
  /** A periodic sync is due: run the write loop, which calls intervalSync between rounds. */
  kick(): void;
  gone(): LogdError;
  markLost(why: string): LogdError;
}

export class Durability {
  private syncs = 0;
  private syncTimer: NodeJS.Timeout | null = null;
  /** interval: the periodic sync is due; the write loop runs it before its next round. */
  private syncDue = false;
  /** interval: the periodic fdatasync in flight. */
  private periodicSync: Promise<void> | null = null;
  /** interval: the pending background seals of the newest sealed chunks, oldest first (see rolled). */
  private readonly seals: Promise<void>[] = [];
  /** none: chunks sealed without a sync, synced at close. */
  private readonly unsynced = new Set<Chunk>();
  /** What the marker says is synced; it only moves forward. */
  private point: { chunk: number; bytes: number };
  /** Whether the marker describes this run (its policy and boot): see settle. */
  private settled = false;
  /** The marker writes, one after another. */
  private marking: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    readonly policy: FsyncPolicy,
    private readonly host: DurabilityHost,
    /** The marker as recovery found it (null: none). */
    private readonly found: DurablePoint | null,
  ) {
    this.point = found ? { chunk: found.chunk, bytes: found.bytes } : { chunk: 0, bytes: 0 };
  }

  /** A periodic sync is due: the write loop runs intervalSync before its next round. */
  get due(): boolean {
    return this.syncDue;
  }

  /** The write loop failed: the due sync is dropped with the rounds (the next write schedules one). */
  dropDue(): void {
    this.syncDue = false;
  }

  get mode(): FsyncPolicy['mode'] {
    return this.policy.mode;
  }

  /** fdatasync calls on this log's chunks (a STATS figure). */
  get fsyncs(): number {
    return this.syncs;
  }

  sync(chunk: Chunk): Promise<void> {
    this.syncs++;
    return io.fdatasync(chunk.fd);
  }

  /**
   * Before this run's first write (not at open: with thousands of logs recovered after a crash,
   * syncing each one's tail made the restart take seconds): makes the marker describe this run.
   * If the log holds bytes past the point (a crash) and the policy syncs at all, they are synced
   * first and the point moves to the end, so the old run's policy no longer matters; under `none`
   * the point stays. A log not written in this run keeps the old marker, which still describes
   * its bytes. Failures are logged: the old marker names an earlier point.
   */
  async settle(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    const found = this.found;
    const chunks = this.host.chunks;
    const end = { chunk: chunks.active.firstId, bytes: chunks.active.size };
    const atEnd = found !== null && found.chunk === end.chunk && found.bytes === end.bytes;
    if (atEnd && found.policy === this.mode && found.boot === currentBoot()) return;
    const empty = end.bytes === 0 && chunks.first() === end.chunk;
    const point = atEnd || empty || this.mode !== 'none' ? end : this.point;
    const sync = point === end && !atEnd && !empty;
    try {
      if (sync) {
        for (const chunk of chunks.list()) if (chunk.firstId >= this.point.chunk) await datasyncFile(chunk.chunkPath);
      }
      await writeDurable(this.host.dir, { policy: this.mode, boot: currentBoot(), ...point }, sync);
      this.point = point;
    } catch (err) {
      this.markerFailed(err);
    }
  }

  /** Logged; a log directory removed under the node makes the log lost instead (one line, its reason). */
  private markerFailed(err: unknown): void {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT' ? this.host.chunks.active.missing() : null;
    if (missing) this.host.markLost(missing);
    else this.host.logger(`log ${this.host.name}: cannot update the durable point: ${(err as Error).message}`);
  }

  /**
   * Moves the marker to (chunk, bytes), synced, once everything before it is: at periodic syncs,
   * seals, rolls, restarts and close, never per round. Failures are logged.
   */
  advance(chunk: number, bytes: number): Promise<void> {
    this.marking = this.marking.then(async () => {
      if (atOrAfter(this.point.chunk, this.point.bytes, { chunk, bytes })) return;
      try {
        await writeDurable(this.host.dir, { policy: this.mode, boot: currentBoot(), chunk, bytes }, true);
        this.point = { chunk, bytes };
        this.settled = true;
      } catch (err) {
        this.markerFailed(err);
      }
    });
    return this.marking;
  }

  /** interval: a periodic sync MS from now, unless one is scheduled already. */
  schedule(): void {
    if (this.policy.mode !== 'interval' || this.syncTimer || this.stopped) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      this.syncDue = true;
      this.host.kick();
    }, this.policy.ms);
    this.syncTimer.unref();
  }

  /**
   * interval: the periodic fdatasync of acknowledged records. It runs beside the next rounds
   * instead of holding them up (syncing a second of writes can take long); one at a time.
   */
  async intervalSync(): Promise<void> {
    this.syncDue = false;
    const chunk = this.host.chunks.active;
    if (this.periodicSync) {
      this.schedule(); // the writes since it started get the next one
      return;
    }
    chunk.acquire(() => this.host.gone()); // its files stay open until the sync is done
    const synced = chunk.size;
    // After the seals: a completed periodic sync covers every record acknowledged before it started.
    this.periodicSync = this.sealed()
      .then(() => this.sync(chunk))
      .then(() => void this.advance(chunk.firstId, synced))
      .catch((err: Error) => this.host.logger(`log ${this.host.name}: periodic fdatasync of ${chunk.chunkPath} failed: ${err.message}`))
      .finally(() => {
        chunk.release();
        this.periodicSync = null;
      });
    await this.flushIndex(chunk);
  }

  /** Writes the active chunk's committed index entries; a failure is logged (the index is a cache). */
  async flushIndex(chunk: Chunk): Promise<void> {
    try {
      await chunk.flushIndex();
    } catch (err) {
      this.host.logger(`log ${this.host.name}: cannot write index ${chunk.indexPath}: ${(err as Error).message}`);
    }
  }

  /**
   * A roll, before the new chunk exists: waits while UNSYNCED_SEALED_CHUNKS seals are pending;
   * under `always` syncs the old chunk; writes the rest of its index (synced under `always`).
   */
  async beforeRoll(old: Chunk): Promise<void> {
    while (this.seals.length >= UNSYNCED_SEALED_CHUNKS) await this.seals[0];
    if (this.mode === 'always') await this.sync(old);
    await old.completeIndex(this.mode === 'always');
  }

  /**
   * A roll, once `fresh` exists (its directory entry synced under `always`): the durable point
   * moves (always), the old chunk waits for close (none) or is sealed in the background
   * (interval: syncing 64 MiB can take a tenth of a second, and the acks did not promise it).
   */
  rolled(old: Chunk, fresh: Chunk): void {
    if (this.mode === 'always') void this.advance(fresh.firstId, 0);
    if (this.mode === 'none') this.unsynced.add(old);
    if (this.mode === 'interval') {
      // One after another, so that they finish in order and the oldest is always seals[0].
      const seal = this.sealed()
        .then(() => this.seal(old))
        .finally(() => {
          this.seals.shift(); // (not returned: finally would wait for the promise it returns, this one)
        });
      this.seals.push(seal);
    }
  }

  /** Resolves when every seal started so far is done. */
  private sealed(): Promise<void> {
    return this.seals[this.seals.length - 1] ?? Promise.resolve();
  }

  /** interval: makes a sealed chunk, its index and the new chunk's directory entry durable. */
  private async seal(chunk: Chunk): Promise<void> {
    try {
      // No wait for room (open-files.ts): a roll waits for this seal while it holds the active
      // chunk, so with every open chunk held that way, waiting here could wait forever.
      chunk.acquire(() => this.host.gone()); // its files stay open until the seal is done
    } catch (err) {
      this.host.logger(`log ${this.host.name}: cannot open sealed chunk ${chunk.chunkPath} to sync it: ${(err as Error).message}`);
      return;
    }
    try {
      await this.sync(chunk);
      await io.fsync(chunk.indexFd);
      await syncDir(this.host.dir);
      void this.advance(chunk.firstId + chunk.count, 0);
    } catch (err) {
      this.host.logger(`log ${this.host.name}: syncing sealed chunk ${chunk.chunkPath} failed: ${(err as Error).message}`);
    } finally {
      chunk.release();
    }
  }

  /** Chunks trimmed or dropped: no longer synced at close. */
  forget(chunks: Chunk[]): void {
    for (const chunk of chunks) this.unsynced.delete(chunk);
  }

  /** Stops the timer and waits for the periodic sync and the seals in flight. */
  async drain(stop: boolean): Promise<void> {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    if (stop) this.stopped = true;
    await this.periodicSync;
    await this.sealed();
  }

  /**
   * Close of a written log: writes the index, syncs the chunks sealed unsynced and the active
   * one, then moves the point to the end. Every chunk is synced even when something fails (a
   * full disk cannot write the index, but fdatasync needs no space); failures are logged.
   */
  async closeSync(): Promise<void> {
    const failed = (what: string, err: unknown): void => this.host.logger(`log ${this.host.name}: at close, ${what} failed: ${(err as Error).message}`);
    let synced = true;
    const active = this.host.chunks.active;
    for (const chunk of [...this.unsynced, active]) {
      const room = chunk.room();
      if (room) await room;
      try {
        chunk.acquire(() => this.host.gone()); // reopens a chunk whose files were closed since
      } catch (err) {
        if (err instanceof VanishedError) {
          this.host.markLost(err.message); // removed under the node (before the timer noticed): nothing to sync
          return;
        }
        failed(`opening ${chunk.chunkPath}`, err);
        synced = false;
        continue;
      }
      if (chunk === active) await this.flushIndex(active);
      try {
        await this.sync(chunk);
      } catch (err) {
        failed(`fdatasync of ${chunk.chunkPath}`, err);
        synced = false;
      }
      await io.fsync(chunk.indexFd).catch((err: unknown) => failed(`fsync of ${chunk.indexPath}`, err));
      chunk.release();
    }
    if (this.unsynced.size > 0) await syncDir(this.host.dir).catch((err: unknown) => failed(`syncing ${this.host.dir}`, err));
    if (synced) await this.advance(active.firstId, active.size);
  }

  /** Restart: nothing of the old chunks is synced at close any more. */
  reset(): void {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    this.unsynced.clear();
  }
}
