// One chunk of a log: `<first-id, 20 digits>.chunk` (REC frames back to back) and its dense
// index `<first-id>.idx`. The active (last) chunk keeps its index in memory and writes it to the
// file in slices; sealed chunks are looked up with one positioned read of the .idx file.
// Reads block while they hit the page cache and go through the thread pool once they do not.
// Readers hold a reference while they read, so a trimmed chunk's files are closed only after the
// last reader has finished (unlinked files stay readable through open descriptors). Open files
// are shared by all logs (open-files.ts): an idle chunk's files may be closed at any time and
// reopen on the next acquire, which checks that the path still names the same file.
import fs from 'node:fs';
import { LogdError } from '../../protocol/errors.ts';
import { INDEX_ENTRY_BYTES, IndexBuffer, readEntry } from './index-buffer.ts';
import { io } from './io.ts';
import type { OpenFiles } from './open-files.ts';
import { chunkPaths } from './chunk-names.ts';

/** Chunk files roll at this size unless --chunk-bytes says otherwise (logd, logtool refill). */
export const DEFAULT_CHUNK_BYTES = 64 << 20;
/** A blocking read this slow came from the disk, not the page cache (a 1 MiB memcpy takes ~0.2 ms). */
const SLOW_READ_MS = 2;
/** How long a chunk that was read from the disk is read through the thread pool. */
const COLD_MS = 10_000;

/** A chunk's file was removed or replaced while the node ran: its log is lost (log.ts, markLost). */
export class VanishedError extends LogdError {
  constructor(message: string) {
    super('internal', message);
  }
}

/**
 * Active (the last chunk: its index in memory, written to the .idx file in slices) or sealed
 * (looked up through the .idx file; with a copy in memory only if that file could not be written).
 */
export type ChunkState = { kind: 'active'; index: IndexBuffer; written: number } | { kind: 'sealed'; memoryIndex: IndexBuffer | null };

export class Chunk {
  readonly chunkPath: string;
  readonly indexPath: string;
  /** Descriptors; -1 while closed (sealed chunks open on first read). */
  private chunkFd = -1;
  private idxFd = -1;
  private state: ChunkState;
  /** Committed records (visible to readers once the log's head covers them). */
  private records: number;
  /** Committed bytes: the end of the last committed record. */
  private end: number;
  private refs = 0;
  private removed = false;
  /** Close the files when the last reader releases them. */
  private closeWhenIdle = false;
  /** Until then, reads of this sealed chunk go through the thread pool (see readAt). */
  private threadPoolUntil = 0;
  /** The LRU of open files this chunk reports to (set once its log adopts it). */
  private files: OpenFiles | null = null;
  /** The .chunk file this chunk stands for, from its first open: a reopen must find the same. */
  private identity: { dev: number; ino: number } | null = null;

  constructor(
    dir: string,
    readonly firstId: number,
    state: ChunkState = { kind: 'sealed', memoryIndex: null },
  ) {
    const paths = chunkPaths(dir, firstId);
    this.chunkPath = paths.chunkPath;
    this.indexPath = paths.indexPath;
    this.state = state;
    this.records = 0;
    this.end = 0;
  }

  get fd(): number {
    return this.chunkFd;
  }

  get indexFd(): number {
    return this.idxFd;
  }

  get count(): number {
    return this.records;
  }

  get size(): number {
    return this.end;
  }

  get isActive(): boolean {
    return this.state.kind === 'active';
  }

  /** The in-memory index of the active chunk (may run ahead of `count` during a write). */
  get activeIndex(): IndexBuffer {
    if (this.state.kind !== 'active') throw new Error(`${this.chunkPath} is sealed`);
    return this.state.index;
  }

  /** Records up to `count`, ending at byte `size`, are committed (a round acknowledged, or recovery's finding). */
  commit(count: number, size: number): void {
    this.records = count;
    this.end = size;
  }

  /** Recovery: opens the files as found (the index file may be missing: then -1). */
  openForCheck(openIndex: (path: string) => number): void {
    this.chunkFd = fs.openSync(this.chunkPath, 'r+');
    this.idxFd = openIndex(this.indexPath);
  }

  /** Recovery: the index file was missing and must be created. */
  createIndexFile(openIndex: (path: string) => number): void {
    if (this.idxFd < 0) this.idxFd = openIndex(this.indexPath);
  }

  /**
   * Recovery's verdict: active with `index` (its first `written` entries in the file), or sealed
   * (with `index` kept in memory only when the file could not be written).
   */
  recovered(active: boolean, index: IndexBuffer | null, written: number): void {
    if (active && index) this.state = { kind: 'active', index, written };
    else this.state = { kind: 'sealed', memoryIndex: index && written < index.length ? index : null };
  }

  /** A roll: the index is complete in its file (completeIndex); from now on it is read from there. */
  seal(): void {
    this.state = { kind: 'sealed', memoryIndex: null };
  }

  /** Creates the empty files of a new active chunk (its directory entry still needs a dir fsync). */
  static create(dir: string, firstId: number, files?: OpenFiles): Chunk {
    const chunk = new Chunk(dir, firstId, { kind: 'active', index: new IndexBuffer(), written: 0 });
    const open = (path: string) => (files ? files.openFile(path, 'w+') : fs.openSync(path, 'w+'));
    chunk.chunkFd = open(chunk.chunkPath);
    try {
      chunk.idxFd = open(chunk.indexPath);
    } catch (err) {
      fs.closeSync(chunk.chunkFd);
      throw err;
    }
    if (files) chunk.attach(files);
    return chunk;
  }

  /** Joins the shared LRU of open files (once, when a log adopts the chunk). */
  attach(files: OpenFiles): void {
    this.files = files;
    if (this.chunkFd < 0) return;
    const st = fs.fstatSync(this.fd);
    this.identity = { dev: st.dev, ino: st.ino };
    files.opened(this);
  }

  /** Readers, rounds and syncs in progress: its files must stay open. */
  get busy(): boolean {
    return this.refs > 0;
  }

  /** Marks a user (reader, round, sync); opens the files if needed. Throws 'gone' if the chunk was trimmed. */
  acquire(gone: () => LogdError): void {
    if (this.removed) throw gone();
    if (this.fd < 0) this.reopen();
    else this.files?.touch(this);
    this.refs++;
  }

  /** Opens the files again (read-write while active), refusing a file that is not the one it had. */
  private reopen(): void {
    const flags = this.state.kind === 'active' ? 'r+' : 'r';
    const open = (path: string) => {
      try {
        return this.files ? this.files.openFile(path, flags) : fs.openSync(path, flags);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new VanishedError(`${path} was removed while the node ran`);
        throw err;
      }
    };
    const fd = open(this.chunkPath);
    try {
      const st = fs.fstatSync(fd);
      if (this.identity && (st.dev !== this.identity.dev || st.ino !== this.identity.ino)) {
        throw new VanishedError(`${this.chunkPath} was replaced by another file while the node ran`);
      }
      this.identity = { dev: st.dev, ino: st.ino };
      this.idxFd = open(this.indexPath);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    this.chunkFd = fd;
    this.files?.opened(this);
  }

  /** Why the chunk's path no longer names the file it opened (removed, replaced), or null. Cheap: one stat. */
  missing(): string | null {
    if (!this.identity) return null;
    const st = fs.statSync(this.chunkPath, { throwIfNoEntry: false });
    if (!st) return `${this.chunkPath} was removed while the node ran`;
    if (st.dev !== this.identity.dev || st.ino !== this.identity.ino) return `${this.chunkPath} was replaced by another file while the node ran`;
    return null;
  }

  release(): void {
    this.refs--;
    if (this.refs > 0) return;
    if (this.closeWhenIdle) this.close();
    else this.files?.idle();
  }

  /** Whether its files are open now (else the next acquire reopens them). */
  get isOpen(): boolean {
    return this.fd >= 0;
  }

  /**
   * null when acquire may run now; else (its files must reopen while the shared budget is all in
   * use) a promise to wait on first (open-files.ts). Acquire right after, with no await between.
   */
  room(): Promise<void> | null {
    return this.fd < 0 && this.files ? this.files.room() : null;
  }

  /** Closes the files now, or once the last reader has released them; the next acquire reopens them. */
  closeSoon(): void {
    if (this.refs === 0) this.close();
    else this.closeWhenIdle = true;
  }

  /** Byte position of record firstId+i, for 0 <= i <= count (i = count gives the end). */
  async position(i: number): Promise<number> {
    if (i >= this.count) return this.size;
    const index = this.state.kind === 'active' ? this.state.index : this.state.memoryIndex;
    if (index && i < index.length) return index.get(i);
    const entry = Buffer.allocUnsafe(INDEX_ENTRY_BYTES);
    const got = await this.readAt(this.indexFd, entry, i * INDEX_ENTRY_BYTES);
    if (got !== INDEX_ENTRY_BYTES) throw new LogdError('internal', `index ${this.indexPath} is short`);
    return readEntry(entry, 0);
  }

  /** Reads bytes [from, to) of the chunk. */
  async bytes(from: number, to: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(to - from);
    const got = await this.readAt(this.fd, buf, from);
    if (got !== buf.length) throw new LogdError('internal', `chunk ${this.chunkPath} is shorter than its index`);
    return buf;
  }

  /**
   * Fills buf from `fd` at pos. Reads from the page cache cost a memcpy, far less than a round trip
   * through libuv's thread pool, so they block: always for the active chunk (just written), and
   * for a sealed chunk until one of its reads is slow (it came from the disk); from then on that
   * chunk's reads go through the thread pool for a while, so that cold data cannot stall the loop.
   */
  private readAt(fd: number, buf: Buffer, pos: number): Promise<number> | number {
    const sealed = this.state.kind === 'sealed';
    if (sealed && performance.now() < this.threadPoolUntil) return io.read(fd, buf, 0, buf.length, pos);
    const started = performance.now();
    const got = io.readCached(fd, buf, 0, buf.length, pos);
    const took = performance.now() - started;
    if (sealed && took > SLOW_READ_MS) this.threadPoolUntil = started + took + COLD_MS;
    return got;
  }

  /** Writes the index entries of committed records that the .idx file does not hold yet. */
  async flushIndex(): Promise<void> {
    const state = this.state;
    if (state.kind !== 'active' || state.written >= this.count) return;
    const upTo = this.count;
    await io.write(this.idxFd, [state.index.bytes(state.written, upTo)], state.written * INDEX_ENTRY_BYTES);
    state.written = upTo;
  }

  /** Committed entries not in the .idx file yet (the active chunk's). */
  get unwrittenEntries(): number {
    return this.state.kind === 'active' ? this.count - this.state.written : 0;
  }

  /** Writes the rest of the index to the .idx file (before sealing: then `index` is dropped). */
  async completeIndex(sync: boolean): Promise<void> {
    await this.flushIndex();
    if (sync) await io.fsync(this.indexFd);
  }

  /** Trim: unlinks the files now; the descriptors close when the last reader releases. */
  remove(): void {
    this.removed = true;
    fs.rmSync(this.chunkPath, { force: true });
    fs.rmSync(this.indexPath, { force: true });
    this.closeSoon();
  }

  close(): void {
    if (this.chunkFd >= 0 || this.idxFd >= 0) this.files?.closed(this);
    if (this.chunkFd >= 0) fs.closeSync(this.chunkFd);
    if (this.idxFd >= 0) fs.closeSync(this.idxFd);
    this.chunkFd = -1;
    this.idxFd = -1;
    this.closeWhenIdle = false;
  }
}
