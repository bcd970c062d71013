// The write path of one log: appends queue up as batches and go to disk in rounds (group
// commit). Each round takes every queued batch that fits in the active chunk, assigns ids,
// writes them with one write and syncs per policy (durability.ts); the head then advances.
//
// Invariants:
// - One round at a time, so ids are assigned in arrival order. A conditional batch (`expect`) is
//   checked when its round assigns its ids, so appends queued ahead of it count.
// - Timestamps never go backwards: a round stamps max(clock, the newest timestamp stored), the
//   order SEEK's binary search relies on.
// - A round's bytes are written with the first byte of its first frame set to 'X', and only later
//   flipped to 'R' (a one-byte write cannot be torn): recovery never mistakes a round cut short
//   by a kill or a power loss for committed records. With fsync=always the flip is two-phase
//   (see writeRound). See protocol/STORAGE.md for what is atomic when.
// - The chunk's count/size and the head move only once a round is durable per policy; readers
//   never look past them. On a failed write or sync the file is cut back and nothing moves.
// - The active chunk is held (acquired) while rounds run (open-files.ts); an idle log's files
//   may be closed and reopen on its next use.
// - A round is acknowledged only while the active chunk's path still names the file it was
//   written to (one stat per round): else the log is lost and refuses every write and read.
import { LogdError } from '../../protocol/errors.ts';
import { batchBytes, idsOf, lastIdOf, type Batch } from './batch.ts';
import { Chunk, VanishedError } from './chunk.ts';
import type { ChunkSet } from './chunk-set.ts';
import type { Durability } from './durability.ts';
import { io, syncDir } from './io.ts';
import type { LogOptions } from './log-options.ts';
import { COMMIT_BYTE, encodeRound, UNCOMMITTED_BYTE, type RoundBytes } from './round.ts';
import type { TailCache } from './tail-cache.ts';

/** What the writer needs of its log. */
export interface WriterHost {
  readonly name: string;
  readonly dir: string;
  readonly opts: LogOptions;
  readonly chunks: ChunkSet;
  readonly durability: Durability;
  readonly tail: TailCache;
  head(): number;
  /** The log's lost error, if its files went away. */
  lostError(): LogdError | null;
  markLost(why: string): LogdError;
  gone(): LogdError;
  /** Records up to `lastId` are acknowledged: the head moves. */
  acknowledged(lastId: number): void;
  /** Wakes the head listeners. */
  notify(): void;
  /** The head record's timestamp (0 when empty or unreadable). */
  headTimestamp(): Promise<number>;
}

/** A round on disk, not yet acknowledged. */
interface WrittenRound {
  batches: Batch[];
  /** The bytes written (first byte as written: 'X' until committed), kept for the tail cache. */
  bytes: RoundBytes;
  start: number;
  end: number;
  lastId: number;
}

/** Index entries written to the .idx file at once (the rest wait: recovery rescans at most this many). */
const INDEX_FLUSH_ENTRIES = 8192;
/** A round stops taking batches past this many bytes, to bound its buffer. */
const ROUND_BYTES = 8 << 20;
const NO_BYTES: RoundBytes = { pieces: [], whole: null };
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Writer {
  /** The newest timestamp stored (see round); -1 until read from the head record. */
  private lastTs = -1;
  private readonly queue: Batch[] = [];
  private writing = false;
  private idlePromise: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  /** fsync=always: a round written and synced uncommitted, whose commit byte the next round writes. */
  private awaitingCommit: WrittenRound | null = null;
  /** The active chunk while rounds run (acquired: its files stay open). */
  private held: Chunk | null = null;

  constructor(private readonly log: WriterHost) {}

  /** Resolves when no round runs and nothing is queued. */
  get idle(): Promise<void> {
    return this.idlePromise;
  }

  /** Rounds running or batches queued. */
  get busy(): boolean {
    return this.writing || this.queue.length > 0;
  }

  enqueue(batch: Batch): void {
    this.queue.push(batch);
    this.kick();
  }

  kick(): void {
    if (this.writing) return;
    this.writing = true;
    this.idlePromise = new Promise((resolve) => (this.markIdle = resolve));
    void this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    const { durability, chunks, opts } = this.log;
    try {
      while (this.queue.length > 0 || this.awaitingCommit || durability.due) {
        try {
          const lost = this.log.lostError();
          if (lost) throw lost;
          await durability.settle();
          if (this.held !== chunks.active) {
            const room = chunks.active.room();
            if (room) await room;
            this.hold(chunks.active);
          }
          // A due periodic sync goes first, so that a steady stream of appends cannot starve it.
          if (durability.due) await durability.intervalSync();
          else await this.round();
        } catch (err) {
          // Lost, or the active chunk cannot be reopened: nothing queued can be written.
          const pending = this.awaitingCommit;
          this.awaitingCommit = null;
          durability.dropDue();
          this.fail([...(pending?.batches ?? []), ...this.queue.splice(0)], err);
          break;
        }
        // Writes are synchronous (io.ts), so without this a steady stream of appends would run
        // round after round in microtasks, starving timers (the periodic sync) and sockets.
        // Yielding also lets the next round gather what arrives meanwhile.
        // Others wait for files: let go of ours between rounds (and take a turn for the next).
        if (opts.files.contended) this.hold(null);
        if (this.queue.length > 0) await yieldToEventLoop();
      }
    } finally {
      this.hold(null);
      this.writing = false;
      this.markIdle();
    }
  }

  /** Keeps `chunk` (the active one) open while rounds run; null lets it go. */
  private hold(chunk: Chunk | null): void {
    if (chunk === this.held) return;
    this.held?.release();
    this.held = null;
    chunk?.acquire(() => this.log.gone());
    this.held = chunk;
  }

  /** Takes the queued batches that fit in the active chunk and writes them (see writeRound). */
  private async round(): Promise<void> {
    if (this.lastTs < 0) this.lastTs = await this.log.headTimestamp();
    const ts = Math.max(Date.now(), this.lastTs);
    this.lastTs = ts;
    const pending = this.awaitingCommit;
    let nextId = (pending ? pending.lastId : this.log.head()) + 1;
    let end = pending ? pending.end : this.log.chunks.active.size;
    const batches: Batch[] = [];
    let total = 0;
    while (this.queue.length > 0 && total < ROUND_BYTES) {
      const batch = this.queue[0]!;
      if (batch.kind === 'frames' && batch.firstId !== nextId) {
        this.queue.shift();
        batch.reject(new LogdError('internal', `frames for ${this.log.name} start at id ${batch.firstId}, expected ${nextId}`));
        continue;
      }
      if (batch.kind === 'payloads' && batch.expect !== 0 && batch.expect !== nextId) {
        this.queue.shift();
        batch.reject(new LogdError('conflict', `${this.log.name} next id is ${nextId}`));
        continue;
      }
      const bytes = batchBytes(batch, nextId, ts);
      if (end + total + bytes > this.log.opts.chunkBytes && end + total > 0) {
        // Roll only between rounds, with nothing awaiting its commit in the old chunk.
        if (batches.length > 0 || pending) break;
        try {
          await this.roll();
        } catch (err) {
          this.fail(this.queue.splice(0, 1), err);
          return;
        }
        end = 0;
      }
      this.queue.shift();
      if (batch.kind === 'frames' && batch.lastTs > this.lastTs) this.lastTs = batch.lastTs; // a replica's frames: the owner's clock
      batch.firstId = nextId;
      nextId += batch.count;
      total += bytes;
      batches.push(batch);
    }
    if (batches.length > 0 || pending) await this.writeRound(batches, total, ts);
  }

  /**
   * Writes the round's batches as one buffer whose first byte is 'X' (uncommitted), then commits
   * it by writing 'R' over that byte, and syncs per policy.
   * With fsync=always, a round holding a batch of several records is committed in two phases,
   * so that a power loss cannot keep part of it either: it is written and synced uncommitted, and
   * its 'R' goes out with the next round's write and sync (a round with no new data if nothing
   * is queued); it is acknowledged when that sync returns. So under load one fdatasync per round
   * serves the commit of the previous round and the data of the current one. A round of
   * single-record batches needs no second phase: a power-loss cut keeps whole records only.
   */
  private async writeRound(batches: Batch[], total: number, ts: number): Promise<void> {
    const chunk = this.log.chunks.active;
    const pending = this.awaitingCommit;
    const start = pending ? pending.end : chunk.size;
    // Only a batch of several records that must stay together needs the commit byte.
    const marked = batches.some((batch) => batch.atomic && batch.count > 1);
    const bytes = batches.length > 0 ? encodeRound(batches, total, start, ts, chunk.activeIndex, marked) : NO_BYTES;
    const always = this.log.durability.mode === 'always';
    const twoPhase = always && marked;
    try {
      if (pending) io.writeByte(chunk.fd, COMMIT_BYTE, pending.start);
      if (batches.length > 0) await io.write(chunk.fd, bytes.pieces, start);
      if (marked && !twoPhase) io.writeByte(chunk.fd, COMMIT_BYTE, start);
      if (always) await this.log.durability.sync(chunk);
      const missing = chunk.missing();
      if (missing) throw this.log.markLost(missing);
    } catch (err) {
      this.awaitingCommit = null;
      await this.undo(chunk, pending ? pending.start : start);
      this.fail(pending ? [...pending.batches, ...batches] : batches, err);
      return;
    }
    this.awaitingCommit = null;
    if (pending) await this.acknowledge(chunk, pending);
    if (batches.length === 0) return;
    const written = { batches, bytes, start, end: start + total, lastId: lastIdOf(batches) };
    if (twoPhase) this.awaitingCommit = written;
    else await this.acknowledge(chunk, written);
  }

  /** The round is durable per policy: readers may see it, its appends resolve, listeners wake. */
  private async acknowledge(chunk: Chunk, written: WrittenRound): Promise<void> {
    const whole = written.bytes.whole;
    if (whole) {
      whole[0] = COMMIT_BYTE; // as the file has it now
      this.log.tail.add(written.start, whole);
    } else {
      this.log.tail.clear(); // large payloads written in place: readers at the head read the file
    }
    chunk.commit(written.lastId - chunk.firstId + 1, written.end);
    this.log.acknowledged(written.lastId);
    this.log.durability.schedule();
    for (const batch of written.batches) batch.resolve(idsOf(batch));
    this.log.notify();
    // The index is a cache: its write waits until the replies and wake-ups of this round have
    // gone out (a turn of the event loop), so that they never wait for it; the next round does.
    if (chunk.unwrittenEntries >= INDEX_FLUSH_ENTRIES) {
      await yieldToEventLoop();
      await this.log.durability.flushIndex(chunk);
    }
  }

  /** Cuts the active chunk back to `start` after a failed write or sync; the ids stay unused. */
  private async undo(chunk: Chunk, start: number): Promise<void> {
    chunk.activeIndex.truncate(chunk.count);
    try {
      io.writeByte(chunk.fd, UNCOMMITTED_BYTE, start);
      await io.ftruncate(chunk.fd, start);
    } catch (err) {
      // The uncommitted bytes stay behind the head; the next round overwrites them from `start`.
      this.log.opts.logger(`log ${this.log.name}: cannot cut ${chunk.chunkPath} back to ${start} bytes after a failed write: ${(err as Error).message}`);
    }
  }

  private fail(batches: Batch[], err: unknown): void {
    const cause = err instanceof VanishedError || (err as NodeJS.ErrnoException)?.code === 'ENOENT' ? this.log.markLost((err as Error).message) : err;
    for (const batch of batches) batch.reject(cause);
  }

  /**
   * Seals the active chunk and starts a new one at head+1. Under `always` the old chunk, its
   * index and the new directory entry are synced before any write goes to the new chunk; under
   * `interval` the seal runs in the background (durability.ts).
   */
  private async roll(): Promise<void> {
    const { chunks, durability, opts } = this.log;
    const old = chunks.active;
    await durability.beforeRoll(old);
    const fresh = Chunk.create(this.log.dir, this.log.head() + 1, opts.files);
    try {
      if (durability.mode === 'always') await syncDir(this.log.dir);
    } catch (err) {
      fresh.close();
      throw err;
    }
    // Only now: if anything above failed, the old chunk stays active, its index still in memory.
    old.seal();
    this.log.tail.clear();
    durability.rolled(old, fresh);
    chunks.push(fresh);
    this.hold(fresh);
  }
}
