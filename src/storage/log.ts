// One log: the facade the loop, replication and tools call. Its parts, one job each:
// - chunk-set.ts: the chunks, oldest first (the last one active), lookup by id;
// - writer.ts: the queue of batches and the rounds that write them (group commit, commit byte);
// - durability.ts: when records reach the disk (periodic sync, seals, close) and the durable point;
// - reader.ts: records by id, record headers, seek by time;
// - prefix-digest.ts: the digests of prefixes (REPLICATE's resume check).
// The head moves only when a round is acknowledged (writer.ts); then the head listeners wake.
// A log whose files were removed or replaced under the running node is lost: every later call
// fails with that error (markLost), one line on stderr.
import { join } from 'node:path';
import { LogdError } from '../../protocol/errors.ts';
import { frameCrcMatches, parseFrame, newFrameHeader, type RecordStamp } from '../../protocol/frame.ts';
import type { RecordPayload } from '../../protocol/pieces.ts';
import type { Ids } from './batch.ts';
import { Chunk } from './chunk.ts';
import { ChunkSet } from './chunk-set.ts';
import { Durability } from './durability.ts';
import type { DurablePoint } from './durable.ts';
import { syncDir } from './io.ts';
import type { LogOptions } from './log-options.ts';
import { DIGEST_FILE, PrefixDigests } from './prefix-digest.ts';
import { Reader, type ReadResult } from './reader.ts';
import { TailCache } from './tail-cache.ts';
import { Writer } from './writer.ts';

export type { LogOptions } from './log-options.ts';
export type { ReadResult } from './reader.ts';

/** Bytes of the newest rounds kept in memory for readers at the head. */
const TAIL_CACHE_BYTES = 1 << 20;
const header = newFrameHeader();

export class Log {
  private headId: number;
  private readonly chunks: ChunkSet;
  private readonly durability: Durability;
  /** The newest acknowledged rounds of the active chunk, for readers at the head. */
  private readonly tail: TailCache;
  private readonly writer: Writer;
  private readonly reader: Reader;
  /** Written since open: close must flush and sync (a log only read, of thousands, closes at once). */
  private dirty = false;
  /** Set when the log's files were removed or replaced under the running node. */
  private lost: LogdError | null = null;
  private closing: Promise<void> | null = null;
  private readonly listeners = new Set<(head: number) => void>();
  /** The running digest of the prefix (REPLICATE's resume check). */
  readonly digests: PrefixDigests;

  constructor(
    readonly name: string,
    private readonly dir: string,
    /** Oldest first; the last one is active. */
    chunks: Chunk[],
    private readonly opts: LogOptions,
    /** The DURABLE marker as recovery found it (durable.ts). */
    durable: DurablePoint | null = null,
  ) {
    const active = chunks[chunks.length - 1]!; // recovery gives at least the active chunk
    this.headId = active.firstId + active.count - 1;
    for (const chunk of chunks) chunk.attach(opts.files);
    this.chunks = new ChunkSet(
      chunks,
      () => this.gone(),
      (why) => this.markLost(why),
    );
    this.tail = new TailCache(TAIL_CACHE_BYTES, opts.tails);
    // The parts see the log through this (its head, its lost state), not through its public face.
    const part = {
      name,
      dir,
      opts,
      chunks: this.chunks,
      tail: this.tail,
      head: () => this.headId,
      lostError: () => this.lost,
      markLost: (why: string) => this.markLost(why),
      gone: () => this.gone(),
      logger: (line: string) => opts.logger(line),
      kick: () => this.writer.kick(),
    };
    this.durability = new Durability(opts.fsync, part, durable);
    this.reader = new Reader(part);
    this.writer = new Writer({
      ...part,
      durability: this.durability,
      headTimestamp: () => this.reader.headTimestamp(),
      // The round is durable per policy: the head moves (then the batches resolve and listeners wake).
      acknowledged: (lastId: number) => {
        this.headId = lastId;
        this.dirty = true;
      },
      notify: () => this.notify(),
    });
    this.digests = new PrefixDigests(join(dir, DIGEST_FILE), this);
  }

  /** Last durable (acknowledged) id, 0 if empty. */
  head(): number {
    return this.headId;
  }

  /** First retained id (1 for a never-trimmed log, even when empty). */
  first(): number {
    return this.chunks.first();
  }

  /** fdatasync calls on this log's chunks (a STATS figure). */
  get fsyncs(): number {
    return this.durability.fsyncs;
  }

  /**
   * Appends payloads with consecutive ids. `atomic` (the default): after a crash all of them are
   * there or none; false: each record stands alone (several MSGs gathered into one call), which
   * spares the commit byte and, with fsync=always, the second phase. `expect` (> 0): store only if
   * the log's next id is `expect` when the batch's turn comes, else reject with `conflict`.
   */
  append(payloads: readonly RecordPayload[], atomic = true, expect = 0): Promise<Ids> {
    for (const p of payloads) {
      if (p.length > this.opts.maxMsg) return Promise.reject(new LogdError('toolong', `payload of ${p.length} bytes is over the limit of ${this.opts.maxMsg}`));
    }
    const refused = this.refusal(payloads.length);
    if (refused) return refused;
    return new Promise((resolve, reject) =>
      this.writer.enqueue({ kind: 'payloads', payloads, count: payloads.length, atomic, expect, firstId: 0, resolve, reject }),
    );
  }

  /**
   * Stores frames as they are (a replica's copy): each must parse, match its CRC and continue the
   * ids. The buffer is copied when its round is written: do not modify it until the promise settles.
   */
  appendFrames(frames: Buffer): Promise<Ids> {
    let count = 0;
    let firstId = 0;
    for (let pos = 0; pos < frames.length; count++) {
      const len = parseFrame(frames, pos, frames.length, header);
      if (len <= 0) return Promise.reject(new LogdError('internal', `frame ${count + 1} for ${this.name} is malformed`));
      if (!frameCrcMatches(frames, pos, header))
        return Promise.reject(new LogdError('internal', `frame for ${this.name} id ${header.id} does not match its CRC`));
      if (count === 0) firstId = header.id;
      else if (header.id !== firstId + count)
        return Promise.reject(new LogdError('internal', `frames for ${this.name} skip from id ${firstId + count - 1} to ${header.id}`));
      pos += len;
    }
    const refused = this.refusal(count);
    if (refused) return refused;
    const lastTs = header.ts;
    return new Promise((resolve, reject) => this.writer.enqueue({ kind: 'frames', frames, count, atomic: true, firstId, lastTs, resolve, reject }));
  }

  /** Why an append of `count` records is answered at once (lost, closed, nothing to write), or null. */
  private refusal(count: number): Promise<Ids> | null {
    if (this.lost) return Promise.reject(this.lost);
    if (this.closing) return Promise.reject(new LogdError('internal', `log ${this.name} is closed`));
    if (count === 0) return Promise.resolve({ first: this.headId + 1, last: this.headId });
    return null;
  }

  onHead(listener: (head: number) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
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

  /** Refuses every later call; one stderr line. Returns the error to answer with. */
  markLost(why: string): LogdError {
    if (!this.lost) {
      this.lost = new LogdError('internal', `log ${this.name} is lost: ${why}; writes and reads are refused until the node restarts`);
      this.opts.logger(
        `storage: log ${this.name}: ${why}: refusing its writes and reads until restart (nothing more is acknowledged into files outside the data directory)`,
      );
      this.chunks.closeSoon();
    }
    return this.lost;
  }

  /** The timer's check (store.ts) for logs that take no writes: are the active chunk's files still there? */
  checkFiles(): void {
    if (this.lost || this.closing) return;
    const missing = this.chunks.active.missing();
    if (missing) this.markLost(missing);
  }

  /** Records from `start` (reader.ts); synchronous when the tail cache holds them all. */
  read(start: number, maxRecords: number, maxBytes: number): ReadResult | Promise<ReadResult> {
    return this.reader.read(start, maxRecords, maxBytes);
  }

  /** The first id whose timestamp is at or after `time` (ms), head + 1 when none. */
  seek(time: number): Promise<number> {
    return this.reader.seek(time);
  }

  /** The stored header of record `id` (what a follower's resume check compares). */
  stampOf(id: number): Promise<RecordStamp> {
    return this.reader.stampOf(id);
  }

  /** Deletes the whole chunks entirely below `before` (never the active one); returns the new first(). */
  async trim(before: number): Promise<number> {
    // The prefix digest up to the new first id is computed from records about to go: first.
    const planned = this.chunks.trimmable(before);
    if (planned > 0 && !this.digests.isPrepared(this.chunks.firstIdAt(planned))) {
      const first = this.chunks.firstIdAt(planned);
      await this.digestStep('computed', () => this.digests.prepareTrim(first));
    }
    const n = this.chunks.trimmable(before); // again: another trim may have run meanwhile
    if (n > 0) {
      const first = this.chunks.firstIdAt(n);
      const removed = this.chunks.takeOldest(n);
      this.durability.forget(removed);
      await this.digestStep('kept', () => this.digests.persistTrim(first));
      for (const chunk of removed) chunk.remove();
      if (this.durability.mode !== 'none') await syncDir(this.dir);
    }
    return this.first();
  }

  /** The chunk files, oldest first, with their size and last write (retention weighs them). */
  chunkFiles(): Promise<{ first: number; bytes: number; mtimeMs: number }[]> {
    return this.chunks.files();
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
    await this.writer.idle;
    await this.durability.drain(false);
    if (this.closing) throw new LogdError('internal', `log ${this.name} is closed`);
    if (this.writer.busy) throw new LogdError('internal', `log ${this.name} is being written`);
    if (first <= this.headId + 1) throw new LogdError('internal', `log ${this.name} cannot restart at ${first}: its head is ${this.headId}`);
    const dropped = this.headId - this.first() + 1;
    this.durability.reset();
    this.tail.clear();
    this.digests.reset(); // the records they were computed from go
    // The durable point moves past the chunks that go, so that a crash before the new chunk exists
    // leaves an empty log, not one whose synced chunks are missing (damage, see recovery.ts).
    await this.durability.advance(first, 0);
    // The removed chunks stay listed until the new one exists (readers get `gone` from them).
    for (const chunk of this.chunks.list()) chunk.remove();
    if (this.durability.mode !== 'none') await syncDir(this.dir);
    this.chunks.replaceAll(Chunk.create(this.dir, first, this.opts.files));
    this.headId = first - 1;
    this.dirty = true;
    if (this.durability.mode !== 'none') await syncDir(this.dir);
    this.notify();
    return dropped;
  }

  private gone(): LogdError {
    return new LogdError('gone', String(this.first()));
  }

  /** Waits for queued appends, writes the index, syncs and closes every file. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    await this.durability.drain(true);
    await this.writer.idle;
    await this.durability.drain(true);
    try {
      // Lost: its files are not in the data directory. Not written since open: nothing to flush.
      if (!this.lost && this.dirty) await this.durability.closeSync();
    } finally {
      this.chunks.closeAll();
    }
  }
}
