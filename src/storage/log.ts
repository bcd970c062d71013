// One log: an ordered list of chunks, the last one active. Appends queue up and go to disk in
// rounds (group commit): each round writes every queued batch that fits in the active chunk as
// one write and syncs per policy; the head then advances and the listeners wake. Reads find their
// start through the index and return the stored bytes unchanged.
//
// Dev notes (the invariants):
// - One round at a time, so ids are assigned in arrival order. A conditional batch (`expect`) is
//   checked when its round assigns its ids, so appends queued ahead of it count.
// - Timestamps never go backwards: a round stamps max(clock, the newest timestamp stored), the
//   order SEEK's binary search relies on.
// - A group's bytes are written with the first byte of its first frame set to 'X', and only later
//   flipped to 'R' (a one-byte write cannot be torn): recovery never mistakes a group cut short
//   by a kill or a power loss for committed records. With fsync=always the flip is two-phase
//   (see writeGroup). See protocol/STORAGE.md for what is atomic when.
// - `chunk.count/size` and `head` move only once a group is durable per policy; readers never
//   look past them. On a failed write or sync the file is cut back and nothing moves.
// - Files are shared by all logs (open-files.ts): the active chunk is held (acquired) while
//   rounds run, and an idle log's files may be closed and reopen on its next use.
// - A group is acknowledged only while the active chunk's path still names the file it was
//   written to (one stat per round): a log whose files were removed or replaced under the running
//   node is lost (markLost) and refuses every write and read until restart.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LogdError } from '../../protocol/errors.ts';
import { seekTime, timestampAt } from './seek.ts';
import { frameCrcMatches, frameLength, newFrameHeader, parseFrame, type RecordStamp } from '../../protocol/frame.ts';
import { Chunk, UNSYNCED_SEALED_CHUNKS, VanishedError } from './chunk.ts';
import type { RecordPayload } from '../../protocol/pieces.ts';
import { COMMIT_BYTE, encodeRound, UNCOMMITTED_BYTE, type RoundBytes } from './round.ts';
import { TailCache, type TailBudget } from './tail-cache.ts';
import { DIGEST_FILE, PrefixDigests } from './prefix-digest.ts';
import { io, syncDir } from './io.ts';
import type { OpenFiles } from './open-files.ts';
import { atOrAfter, currentBoot, writeDurable } from './durable.ts';
import { reindexSealed } from './index-check.ts';
import type { FsyncPolicy } from './policy.ts';

export interface ReadResult {
  /** Concatenated REC frames exactly as stored. */
  data: Buffer;
  count: number;
  /** The id after the last record returned. */
  next: number;
}

export interface LogOptions {
  fsync: FsyncPolicy;
  chunkBytes: number;
  maxMsg: number;
  logger: (line: string) => void;
  /** The open files of all logs together. */
  files: OpenFiles;
  /** The memory all logs' tail caches may hold together. */
  tails: TailBudget;
}

/** A group on disk, not yet acknowledged. */
interface WrittenGroup {
  group: Batch[];
  /** The bytes written (first byte as written: 'X' until committed), kept for the tail cache. */
  bytes: RoundBytes;
  start: number;
  end: number;
  lastId: number;
}

/** One append call waiting for its round. */
interface Batch {
  /** Payloads to frame (append), or null for stored frames (appendFrames). */
  payloads: readonly RecordPayload[] | null;
  frames: Buffer | null;
  count: number;
  /** All or none after a crash (APPEND, replicated frames); false for a run of independent MSGs. */
  atomic: boolean;
  /** appendFrames: the id the frames start at; append: assigned when the round takes the batch. */
  firstId: number;
  /** append: store only if the log's next id is this when the round takes the batch; 0: always. */
  expect: number;
  /** appendFrames: the timestamp of the last frame; 0 for payloads. */
  lastTs: number;
  resolve(range: { first: number; last: number }): void;
  reject(err: unknown): void;
}

/** Index entries written to the .idx file at once (the rest wait: recovery rescans at most this many). */
const INDEX_FLUSH_ENTRIES = 8192;
/** Bytes of the newest rounds kept in memory for readers at the head. */
const TAIL_CACHE_BYTES = 1 << 20;
/** A round stops taking batches past this many bytes, to bound its buffer. */
const ROUND_BYTES = 8 << 20;
const EMPTY = Buffer.alloc(0);
const NO_BYTES: RoundBytes = { pieces: [], whole: null };
const header = newFrameHeader();
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Log {
  private headId: number;
  /** The newest timestamp stored (see round); -1 until read from the head record. */
  private lastTs = -1;
  private readonly queue: Batch[] = [];
  private writing = false;
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  /** The newest acknowledged rounds of the active chunk, for readers at the head. */
  private readonly tail: TailCache;
  private syncTimer: NodeJS.Timeout | null = null;
  private syncDue = false;
  /** interval policy: the periodic fdatasync in flight. */
  private periodicSync: Promise<void> | null = null;
  /** interval policy: the pending background seals of the newest sealed chunks, oldest first (see roll). */
  private readonly seals: Promise<void>[] = [];
  /** fsync=always: a group written and synced uncommitted, whose commit byte the next round writes. */
  private awaitingCommit: WrittenGroup | null = null;
  /** fsync=none: chunks sealed without a sync, synced at close. */
  private readonly unsynced = new Set<Chunk>();
  /** The active chunk while rounds run (acquired: its files stay open). */
  private held: Chunk | null = null;
  /** Written since open: close must flush and sync (a log only read, of thousands, closes at once). */
  private dirty = false;
  /** Set when the log's files were removed or replaced under the running node: every call fails with it. */
  private lost: LogdError | null = null;
  private closing: Promise<void> | null = null;
  private readonly listeners = new Set<(head: number) => void>();
  /** fdatasync calls on this log's chunks (a STATS figure). */
  fsyncs = 0;
  /** The running digest of the prefix (REPLICATE's resume check). */
  readonly digests: PrefixDigests;
  /** The marker writes, one after another (see advanceDurable). */
  private marking: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly dir: string,
    /** Oldest first; the last one is active. */
    private readonly chunks: Chunk[],
    private readonly opts: LogOptions,
    /** What the DURABLE marker says is synced (durable.ts); it only moves forward. */
    private durable: { chunk: number; bytes: number } = { chunk: 0, bytes: 0 },
  ) {
    const active = chunks[chunks.length - 1];
    this.headId = active.firstId + active.count - 1;
    for (const chunk of chunks) chunk.attach(opts.files);
    this.tail = new TailCache(TAIL_CACHE_BYTES, opts.tails);
    this.digests = new PrefixDigests(join(dir, DIGEST_FILE), this);
  }

  /** Last durable (acknowledged) id, 0 if empty. */
  head(): number {
    return this.headId;
  }

  /** First retained id (1 for a never-trimmed log, even when empty). */
  first(): number {
    return this.chunks[0].firstId;
  }

  /**
   * Appends payloads with consecutive ids. `atomic` (the default): after a crash all of them are
   * there or none; false: each record stands alone (a run of MSGs gathered into one call), which
   * spares the commit byte and, with fsync=always, the second phase. `expect` (> 0): store only if
   * the log's next id is `expect` when the batch's turn comes, else reject with `conflict`.
   */
  append(payloads: readonly RecordPayload[], atomic = true, expect = 0): Promise<{ first: number; last: number }> {
    for (const p of payloads) {
      if (p.length > this.opts.maxMsg) return Promise.reject(new LogdError('toolong', `payload of ${p.length} bytes is over the limit of ${this.opts.maxMsg}`));
    }
    return this.enqueue(payloads, null, payloads.length, 0, atomic, expect, 0);
  }

  /**
   * Stores frames as they are (a replica's copy): each must parse, match its CRC and continue the
   * ids. The buffer is copied when its round is written: do not modify it until the promise settles.
   */
  appendFrames(frames: Buffer): Promise<{ first: number; last: number }> {
    let count = 0;
    let firstId = 0;
    for (let pos = 0; pos < frames.length; count++) {
      const len = parseFrame(frames, pos, frames.length, header);
      if (len <= 0) return Promise.reject(new LogdError('internal', `frame ${count + 1} for ${this.name} is malformed`));
      if (!frameCrcMatches(frames, pos, header)) return Promise.reject(new LogdError('internal', `frame for ${this.name} id ${header.id} does not match its CRC`));
      if (count === 0) firstId = header.id;
      else if (header.id !== firstId + count) return Promise.reject(new LogdError('internal', `frames for ${this.name} skip from id ${firstId + count - 1} to ${header.id}`));
      pos += len;
    }
    return this.enqueue(null, frames, count, firstId, true, 0, header.ts);
  }

  private enqueue(payloads: readonly RecordPayload[] | null, frames: Buffer | null, count: number, firstId: number, atomic: boolean, expect: number, lastTs: number): Promise<{ first: number; last: number }> {
    if (this.lost) return Promise.reject(this.lost);
    if (this.closing) return Promise.reject(new LogdError('internal', `log ${this.name} is closed`));
    if (count === 0) return Promise.resolve({ first: this.headId + 1, last: this.headId });
    return new Promise((resolve, reject) => {
      this.queue.push({ payloads, frames, count, firstId, atomic, expect, lastTs, resolve, reject });
      this.kick();
    });
  }

  onHead(listener: (head: number) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private kick(): void {
    if (this.writing) return;
    this.writing = true;
    this.idle = new Promise((resolve) => (this.markIdle = resolve));
    void this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.awaitingCommit || this.syncDue) {
        try {
          if (this.lost) throw this.lost;
          if (this.held !== this.active) {
            const room = this.active.room();
            if (room) await room;
            this.hold(this.active);
          }
          // A due periodic sync goes first, so that a steady stream of appends cannot starve it.
          if (this.syncDue) await this.intervalSync();
          else await this.round();
        } catch (err) {
          // Lost, or the active chunk cannot be reopened: nothing queued can be written.
          const pending = this.awaitingCommit;
          this.awaitingCommit = null;
          this.syncDue = false;
          this.fail([...(pending?.group ?? []), ...this.queue.splice(0)], err);
          break;
        }
        // Writes are synchronous (io.ts), so without this a steady stream of appends would run
        // round after round in microtasks, starving timers (the periodic sync) and sockets.
        // Yielding also lets the next round gather what arrives meanwhile.
        // Others wait for files: let go of ours between rounds (and take a turn for the next).
        if (this.opts.files.contended) this.hold(null);
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
    chunk?.acquire(() => this.gone());
    this.held = chunk;
  }

  /**
   * Throws when the active chunk's path no longer names the file the round wrote to (removed,
   * replaced, its directory or the data directory removed): those records are not in the data
   * directory and must not be acknowledged.
   */
  private checkInPlace(chunk: Chunk): void {
    const missing = chunk.missing();
    if (missing) throw this.markLost(missing);
  }

  /** Refuses every later call; one stderr line. Returns the error to answer with. */
  markLost(why: string): LogdError {
    if (!this.lost) {
      this.lost = new LogdError('internal', `log ${this.name} is lost: ${why}; writes and reads are refused until the node restarts`);
      this.opts.logger(`storage: log ${this.name}: ${why}: refusing its writes and reads until restart (nothing more is acknowledged into files outside the data directory)`);
      for (const chunk of this.chunks) chunk.closeSoon();
    }
    return this.lost;
  }

  /** The timer's check (store.ts) for logs that take no writes: are the active chunk's files still there? */
  checkFiles(): void {
    if (this.lost || this.closing) return;
    const missing = this.active.missing();
    if (missing) this.markLost(missing);
  }

  private get active(): Chunk {
    return this.chunks[this.chunks.length - 1];
  }

  /** Takes the queued batches that fit in the active chunk and writes them (see writeGroup). */
  private async round(): Promise<void> {
    if (this.lastTs < 0) this.lastTs = await this.headTimestamp();
    const ts = Math.max(Date.now(), this.lastTs);
    this.lastTs = ts;
    const pending = this.awaitingCommit;
    let nextId = (pending ? pending.lastId : this.headId) + 1;
    let end = pending ? pending.end : this.active.size;
    const group: Batch[] = [];
    let total = 0;
    while (this.queue.length > 0 && total < ROUND_BYTES) {
      const batch = this.queue[0];
      if (batch.frames && batch.firstId !== nextId) {
        this.queue.shift();
        batch.reject(new LogdError('internal', `frames for ${this.name} start at id ${batch.firstId}, expected ${nextId}`));
        continue;
      }
      if (batch.expect !== 0 && batch.expect !== nextId) {
        this.queue.shift();
        batch.reject(new LogdError('conflict', `${this.name} next id is ${nextId}`));
        continue;
      }
      const bytes = batch.frames ? batch.frames.length : payloadBytes(batch.payloads!, nextId, ts);
      if (end + total + bytes > this.opts.chunkBytes && end + total > 0) {
        // Roll only between rounds, with nothing awaiting its commit in the old chunk.
        if (group.length > 0 || pending) break;
        try {
          await this.roll();
        } catch (err) {
          this.fail(this.queue.splice(0, 1), err);
          return;
        }
        end = 0;
      }
      this.queue.shift();
      if (batch.lastTs > this.lastTs) this.lastTs = batch.lastTs; // a replica's frames: the owner's clock
      batch.firstId = nextId;
      nextId += batch.count;
      total += bytes;
      group.push(batch);
    }
    if (group.length > 0 || pending) await this.writeGroup(group, total, ts);
  }

  /**
   * Writes a group of batches as one buffer whose first byte is 'X' (uncommitted), then commits
   * it by writing 'R' over that byte, and syncs per policy.
   * With fsync=always, a group holding a batch of several records is committed in two phases,
   * so that a power loss cannot keep part of it either: it is written and synced uncommitted, and
   * its 'R' goes out with the next round's write and sync (a round with no new data if nothing
   * is queued); it is acknowledged when that sync returns. So under load one fdatasync per round
   * serves the commit of the previous group and the data of the current one. A group of
   * single-record batches needs no second phase: a power-loss cut keeps whole records only.
   */
  private async writeGroup(group: Batch[], total: number, ts: number): Promise<void> {
    const chunk = this.active;
    const pending = this.awaitingCommit;
    const start = pending ? pending.end : chunk.size;
    // Only a batch of several records that must stay together needs the commit byte.
    const marked = group.some((batch) => batch.atomic && batch.count > 1);
    const bytes = group.length > 0 ? encodeRound(group, total, start, ts, chunk.index!, marked) : NO_BYTES;
    const always = this.opts.fsync.mode === 'always';
    const twoPhase = always && marked;
    try {
      if (pending) io.writeByte(chunk.fd, COMMIT_BYTE, pending.start);
      if (group.length > 0) await io.write(chunk.fd, bytes.pieces, start);
      if (marked && !twoPhase) io.writeByte(chunk.fd, COMMIT_BYTE, start);
      if (always) await this.sync(chunk);
      this.checkInPlace(chunk);
    } catch (err) {
      this.awaitingCommit = null;
      await this.undo(chunk, pending ? pending.start : start);
      this.fail(pending ? [...pending.group, ...group] : group, err);
      return;
    }
    this.awaitingCommit = null;
    if (pending) await this.acknowledge(chunk, pending);
    if (group.length === 0) return;
    const written = { group, bytes, start, end: start + total, lastId: lastIdOf(group) };
    if (twoPhase) this.awaitingCommit = written;
    else await this.acknowledge(chunk, written);
  }

  /** The group is durable per policy: readers may see it, its appends resolve, listeners wake. */
  private async acknowledge(chunk: Chunk, written: WrittenGroup): Promise<void> {
    const whole = written.bytes.whole;
    if (whole) {
      whole[0] = COMMIT_BYTE; // as the file has it now
      this.tail.add(written.start, whole);
    } else {
      this.tail.clear(); // large payloads written in place: readers at the head read the file
    }
    chunk.count = written.lastId - chunk.firstId + 1;
    chunk.size = written.end;
    this.dirty = true;
    this.headId = written.lastId;
    if (chunk.count - chunk.indexWritten >= INDEX_FLUSH_ENTRIES) await this.flushIndex(chunk);
    this.scheduleSync();
    for (const batch of written.group) batch.resolve({ first: batch.firstId, last: batch.firstId + batch.count - 1 });
    this.notify();
  }

  /** Cuts the active chunk back to `start` after a failed write or sync; the ids stay unused. */
  private async undo(chunk: Chunk, start: number): Promise<void> {
    chunk.index!.truncate(chunk.count);
    try {
      io.writeByte(chunk.fd, UNCOMMITTED_BYTE, start);
      await io.ftruncate(chunk.fd, start);
    } catch (err) {
      // The uncommitted bytes stay behind the head; the next round overwrites them from `start`.
      this.opts.logger(`log ${this.name}: cannot cut ${chunk.chunkPath} back to ${start} bytes after a failed write: ${(err as Error).message}`);
    }
  }

  private fail(group: Batch[], err: unknown): void {
    const cause = err instanceof VanishedError || (err as NodeJS.ErrnoException)?.code === 'ENOENT' ? this.markLost((err as Error).message) : err;
    for (const batch of group) batch.reject(cause);
  }

  private async flushIndex(chunk: Chunk): Promise<void> {
    try {
      await chunk.flushIndex();
    } catch (err) {
      // The index is a cache of the chunk: recovery rebuilds what did not reach the file.
      this.opts.logger(`log ${this.name}: cannot write index ${chunk.indexPath}: ${(err as Error).message}`);
    }
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener(this.headId);
      } catch (err) {
        this.opts.logger(`log ${this.name}: head listener failed: ${(err as Error).stack ?? err}`);
      }
    }
  }

  /** Seals the active chunk (synced unless fsync=none) and starts a new one at head+1. */
  /**
   * Seals the active chunk and starts a new one. Under `always` the old chunk, its index and the
   * new directory entry are synced before any write goes to the new chunk. Under `interval` that
   * seal runs in the background (syncing 64 MiB can take a tenth of a second, and the acks did not
   * promise durability): writes go on in the new chunk meanwhile. Seals run one after another;
   * a roll waits while UNSYNCED_SEALED_CHUNKS are pending, and every periodic sync waits for all
   * of them; each finished seal moves the durable point (durable.ts), past which alone recovery
   * may cut a torn tail after a power loss.
   */
  private async roll(): Promise<void> {
    const old = this.active;
    const mode = this.opts.fsync.mode;
    while (this.seals.length >= UNSYNCED_SEALED_CHUNKS) await this.seals[0];
    if (mode === 'always') await this.sync(old);
    await old.completeIndex(mode === 'always');
    const fresh = Chunk.create(this.dir, this.headId + 1, this.opts.files);
    try {
      if (mode === 'always') await syncDir(this.dir);
    } catch (err) {
      fresh.close();
      throw err;
    }
    // Only now: if anything above failed, the old chunk stays active, its index still in memory.
    old.index = null;
    this.tail.clear();
    if (mode === 'always') void this.advanceDurable(fresh.firstId, 0);
    if (mode === 'none') this.unsynced.add(old);
    if (mode === 'interval') {
      // One after another, so that they finish in order and the oldest is always seals[0].
      const seal = this.sealed()
        .then(() => this.seal(old))
        .finally(() => {
          this.seals.shift(); // (not returned: finally would wait for the promise it returns, this one)
        });
      this.seals.push(seal);
    }
    this.chunks.push(fresh);
    this.hold(fresh);
  }

  /** Resolves when every seal started so far is done. */
  private sealed(): Promise<void> {
    return this.seals[this.seals.length - 1] ?? Promise.resolve();
  }

  /** interval policy: makes a sealed chunk, its index and the new chunk's directory entry durable. */
  private async seal(chunk: Chunk): Promise<void> {
    try {
      // No wait for room (open-files.ts): a roll waits for this seal while it holds the active
      // chunk, so with every open chunk held that way, waiting here could wait forever.
      chunk.acquire(() => this.gone()); // its files stay open until the seal is done
    } catch (err) {
      this.opts.logger(`log ${this.name}: cannot open sealed chunk ${chunk.chunkPath} to sync it: ${(err as Error).message}`);
      return;
    }
    try {
      await this.sync(chunk);
      await io.fsync(chunk.indexFd);
      await syncDir(this.dir);
      void this.advanceDurable(chunk.firstId + chunk.count, 0);
    } catch (err) {
      this.opts.logger(`log ${this.name}: syncing sealed chunk ${chunk.chunkPath} failed: ${(err as Error).message}`);
    } finally {
      chunk.release();
    }
  }

  /**
   * Moves the DURABLE marker to (chunk, bytes), synced, once everything before it is: at periodic
   * syncs, seals, rolls and close, never per round. Failures are logged (the older marker names
   * an earlier point, which never claims more than was synced).
   */
  private advanceDurable(chunk: number, bytes: number): Promise<void> {
    this.marking = this.marking.then(async () => {
      if (atOrAfter(this.durable.chunk, this.durable.bytes, { chunk, bytes })) return;
      try {
        await writeDurable(this.dir, { policy: this.opts.fsync.mode, boot: currentBoot(), chunk, bytes }, true);
        this.durable = { chunk, bytes };
      } catch (err) {
        this.opts.logger(`log ${this.name}: cannot update the durable point: ${(err as Error).message}`);
      }
    });
    return this.marking;
  }

  private sync(chunk: Chunk): Promise<void> {
    this.fsyncs++;
    return io.fdatasync(chunk.fd);
  }

  /** interval policy: a periodic sync MS from now, unless one is scheduled already. */
  private scheduleSync(): void {
    if (this.opts.fsync.mode !== 'interval' || this.syncTimer || this.closing) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      this.syncDue = true;
      this.kick();
    }, this.opts.fsync.ms);
    this.syncTimer.unref();
  }

  /**
   * interval policy: the periodic fdatasync of acknowledged records. It runs beside the next
   * rounds instead of holding them up (syncing a second of writes can take long); one at a time.
   */
  private async intervalSync(): Promise<void> {
    this.syncDue = false;
    const chunk = this.active;
    if (this.periodicSync) {
      this.scheduleSync(); // the writes since it started get the next one
      return;
    }
    chunk.acquire(() => this.gone()); // its files stay open until the sync is done
    const synced = chunk.size;
    // After the seal: a completed periodic sync covers every record acknowledged before it started.
    this.periodicSync = this.sealed()
      .then(() => this.sync(chunk))
      .then(() => void this.advanceDurable(chunk.firstId, synced))
      .catch((err: Error) => this.opts.logger(`log ${this.name}: periodic fdatasync of ${chunk.chunkPath} failed: ${err.message}`))
      .finally(() => {
        chunk.release();
        this.periodicSync = null;
      });
    await this.flushIndex(chunk);
  }

  /**
   * The records from `start` when all of them (up to maxRecords, within maxBytes) are in the tail
   * cache, else null: the live follower's case, answered synchronously, with no promise or disk
   * read per step (with a hundred followers, per step times a hundred).
   */
  readCached(start: number, maxRecords: number, maxBytes: number): ReadResult | null {
    const chunk = this.active;
    const i = start - chunk.firstId;
    const want = Math.min(maxRecords, this.headId - start + 1);
    if (i < 0 || want <= 0 || i + want > chunk.index!.length) return null;
    const from = chunk.index!.get(i);
    const to = i + want === chunk.count ? chunk.size : chunk.index!.get(i + want);
    if (to - from > maxBytes) return null;
    const data = this.tail.slice(from, to);
    return data && { data, count: want, next: start + want };
  }

  async read(start: number, maxRecords: number, maxBytes: number): Promise<ReadResult> {
    if (this.lost) throw this.lost;
    if (start < this.first()) throw this.gone();
    const head = this.headId;
    const parts: Buffer[] = [];
    let count = 0;
    let bytes = 0;
    let id = start;
    while (id <= head && count < maxRecords) {
      if (id < this.first()) throw this.gone(); // trimmed while this read was running
      const want = Math.min(maxRecords - count, head - id + 1);
      const run = await this.withChunk(this.chunkOf(id), (chunk) =>
        this.readRun(chunk, id, Math.min(want, chunk.firstId + chunk.count - id), maxBytes - bytes, count === 0));
      if (run.count === 0) break;
      parts.push(run.data);
      count += run.count;
      bytes += run.data.length;
      id += run.count;
      if (bytes >= maxBytes || run.short) break; // short: a corrupt record follows; the next read reports it
    }
    const data = parts.length === 1 ? parts[0] : parts.length === 0 ? EMPTY : Buffer.concat(parts, bytes);
    return { data, count, next: id };
  }

  /** Up to `want` records from `id` within one chunk, within `byteBudget` unless `atLeastOne`. */
  private async readRun(chunk: Chunk, id: number, want: number, byteBudget: number, atLeastOne: boolean, reindexed = false): Promise<{ data: Buffer; count: number; short?: boolean }> {
    const i = id - chunk.firstId;
    const [from, end] = await Promise.all([chunk.position(i), chunk.position(i + want)]);
    let to = end;
    const cut = to - from > byteBudget;
    if (!cut && chunk === this.active) {
      // Bytes of this process's own rounds, framed from payloads whose CRCs it computed: no disk
      // read, no copy, no re-check.
      const cached = this.tail.slice(from, to);
      if (cached) return { data: cached, count: want };
    }
    if (cut) to = atLeastOne ? Math.max(from + byteBudget, await chunk.position(i + 1)) : from + byteBudget;
    const data = await chunk.bytes(from, to);
    let pos = 0;
    let count = 0;
    while (count < want) {
      const len = parseFrame(data, pos, data.length, header);
      if (len === 0 && cut) break; // the byte budget ends inside this record
      if (len <= 0 || header.id !== id + count || !frameCrcMatches(data, pos, header)) {
        // The index is a cache: a sealed chunk's may have led here; rebuilt from the frames, the read is retried once.
        if (!reindexed && chunk !== this.active && this.reindex(chunk)) return this.readRun(chunk, id, want, byteBudget, atLeastOne, true);
        if (count > 0) return { data: data.subarray(0, pos), count, short: true }; // the good records before it go first
        this.opts.logger(`log ${this.name}: corrupt record ${id} in ${chunk.chunkPath} at byte ${from + pos}`);
        throw new LogdError('internal', `corrupt record ${id}`);
      }
      pos += len;
      count++;
    }
    return { data: pos === data.length ? data : data.subarray(0, pos), count };
  }

  /** The newest stored timestamp (the head record's), 0 for an empty log or when it cannot be read. */
  private async headTimestamp(): Promise<number> {
    if (this.headId === 0) return 0;
    try {
      return (await this.stampOf(this.headId)).ts;
    } catch (err) {
      this.opts.logger(`log ${this.name}: cannot read the timestamp of record ${this.headId}: ${(err as Error).message}`);
      return 0;
    }
  }

  /**
   * The first id whose timestamp is at or after `time` (ms), head + 1 when none: a binary search
   * over the chunks, then within one through its index (seek.ts), O(log n) reads.
   */
  async seek(time: number): Promise<number> {
    for (;;) {
      try {
        return await seekTime([...this.chunks], this.headId, time, (chunk, i) => this.withChunk(chunk, (c) => timestampAt(c, i)));
      } catch (err) {
        if (!(err instanceof LogdError && err.code === 'gone')) throw err;
        // A chunk was trimmed under the search: search what is left.
      }
    }
  }

  /** Runs fn with the chunk's files open (reopened within the shared budget of open files if closed). */
  private async withChunk<T>(chunk: Chunk, fn: (chunk: Chunk) => Promise<T>): Promise<T> {
    try {
      const room = chunk.room();
      if (room) await room;
      chunk.acquire(() => this.gone());
    } catch (err) {
      throw err instanceof VanishedError ? this.markLost(err.message) : err;
    }
    try {
      return await fn(chunk);
    } finally {
      chunk.release();
    }
  }

  /** Rebuilds a sealed chunk's index file from its frames if it was wrong; true if it was. */
  private reindex(chunk: Chunk): boolean {
    try {
      const wrong = reindexSealed(chunk);
      if (wrong > 0) this.opts.logger(`log ${this.name}: index ${chunk.indexPath} had ${wrong} wrong entries; rebuilt from the chunk`);
      return wrong > 0;
    } catch (err) {
      this.opts.logger(`log ${this.name}: cannot rebuild index ${chunk.indexPath}: ${(err as Error).message}`);
      return false;
    }
  }

  /** The stored header of record `id` (what a follower's resume check compares). */
  async stampOf(id: number): Promise<RecordStamp> {
    if (id < this.first()) throw this.gone();
    if (id > this.headId) throw new LogdError('internal', `record ${id} of ${this.name} does not exist (head ${this.headId})`);
    const { data } = await this.read(id, 1, 1);
    parseFrame(data, 0, data.length, header);
    return { ts: header.ts, len: header.len, crc: header.crc };
  }

  /** Deletes the whole chunks entirely below `before` (never the active one); returns the new first(). */
  async trim(before: number): Promise<number> {
    const trimmable = () => {
      let n = 0;
      while (n < this.chunks.length - 1 && this.chunks[n + 1].firstId <= before) n++;
      return n;
    };
    // The prefix digest up to the new first id is computed from records about to go: first.
    const planned = trimmable();
    if (planned > 0 && !this.digests.isPrepared(this.chunks[planned].firstId)) await this.digestStep('computed', () => this.digests.prepareTrim(this.chunks[planned].firstId));
    const n = trimmable(); // again: another trim may have run meanwhile
    if (n > 0) {
      const first = this.chunks[n].firstId;
      const removed = this.chunks.splice(0, n);
      for (const chunk of removed) {
        this.unsynced.delete(chunk);
      }
      await this.digestStep('kept', () => this.digests.persistTrim(first));
      for (const chunk of removed) chunk.remove();
      if (this.opts.fsync.mode !== 'none') await syncDir(this.dir);
    }
    return this.first();
  }

  /** The chunk files, oldest first, with their size and last write (retention weighs them). */
  async chunkFiles(): Promise<{ first: number; bytes: number; mtimeMs: number }[]> {
    const out: { first: number; bytes: number; mtimeMs: number }[] = [];
    for (const chunk of [...this.chunks]) {
      try {
        const s = await stat(chunk.chunkPath);
        out.push({ first: chunk.firstId, bytes: s.size, mtimeMs: s.mtimeMs });
      } catch {
        // Trimmed meanwhile.
      }
    }
    return out;
  }

  /** A trim's digest work: a failure costs the digest (resume checks fall back to the stamp), never the trim. */
  private async digestStep(what: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.opts.logger(`log ${this.name}: prefix digest before the trim point not ${what}: ${(err as Error).message}`);
    }
  }

  /**
   * Drops every record and continues, empty, at `first` (> head + 1): a replica whose source
   * trimmed past its head, so that it never holds a gap. Old chunks go oldest first, then the new
   * one is created: a crash in between leaves a shorter log or an empty one, never a hole.
   * Returns the number of records dropped. Only for a log nobody appends to meanwhile.
   */
  async restartAt(first: number): Promise<number> {
    await this.idle;
    await this.periodicSync;
    await this.sealed();
    if (this.closing) throw new LogdError('internal', `log ${this.name} is closed`);
    if (this.writing || this.queue.length > 0) throw new LogdError('internal', `log ${this.name} is being written`);
    if (first <= this.headId + 1) throw new LogdError('internal', `log ${this.name} cannot restart at ${first}: its head is ${this.headId}`);
    const dropped = this.headId - this.first() + 1;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    this.tail.clear();
    this.unsynced.clear();
    this.digests.reset(); // the records they were computed from go
    // The durable point moves past the chunks that go, so that a crash before the new chunk exists
    // leaves an empty log, not one whose synced chunks are missing (damage, see recovery.ts).
    await this.advanceDurable(first, 0);
    // The removed chunks stay listed until the new one exists (readers get `gone` from them).
    for (const chunk of this.chunks) chunk.remove();
    if (this.opts.fsync.mode !== 'none') await syncDir(this.dir);
    this.chunks.splice(0, this.chunks.length, Chunk.create(this.dir, first, this.opts.files));
    this.headId = first - 1;
    this.dirty = true;
    if (this.opts.fsync.mode !== 'none') await syncDir(this.dir);
    this.notify();
    return dropped;
  }

  private chunkOf(id: number): Chunk {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.chunks[mid].firstId <= id) lo = mid;
      else hi = mid - 1;
    }
    return this.chunks[lo];
  }

  private gone(): LogdError {
    return new LogdError('gone', String(this.first()));
  }

  /** Waits for queued appends, writes the index, syncs and closes every file. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    await this.idle;
    await this.periodicSync;
    await this.sealed();
    if (this.lost || !this.dirty) {
      // Lost: its files are not in the data directory. Not written since open: nothing to flush.
      for (const chunk of this.chunks) chunk.close();
      return;
    }
    // Every chunk is synced even when something fails (a full disk cannot write the index, but
    // fdatasync needs no space); failures are logged, never thrown, so a stop always completes.
    const failed = (what: string, err: unknown): void => this.opts.logger(`log ${this.name}: at close, ${what} failed: ${(err as Error).message}`);
    let synced = true;
    try {
      const active = this.active;
      for (const chunk of [...this.unsynced, active]) {
        const room = chunk.room();
        if (room) await room;
        try {
          chunk.acquire(() => this.gone()); // reopens a chunk whose files were closed since
        } catch (err) {
          if (err instanceof VanishedError) {
            this.markLost(err.message); // removed under the node (before the timer noticed): nothing to sync
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
      if (this.unsynced.size > 0) await syncDir(this.dir).catch((err: unknown) => failed(`syncing ${this.dir}`, err));
      if (synced) await this.advanceDurable(active.firstId, active.size);
    } finally {
      for (const chunk of this.chunks) chunk.close();
    }
  }
}

function lastIdOf(group: Batch[]): number {
  const last = group[group.length - 1];
  return last.firstId + last.count - 1;
}

function payloadBytes(payloads: readonly RecordPayload[], firstId: number, ts: number): number {
  let bytes = 0;
  for (let i = 0; i < payloads.length; i++) bytes += frameLength(firstId + i, ts, payloads[i].length);
  return bytes;
}
