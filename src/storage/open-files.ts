// The descriptors storage keeps open, all logs together: one LRU of chunks with open files (a
// chunk holds two: its .chunk and its .idx). Every log's active chunk and the sealed chunks being
// read hold some; past the limit, the least recently used chunks nobody is using (no reader, no
// round, no sync in flight) are closed, and reopen on their next use. So the number of logs does
// not bound the number of open files, and connections keep the descriptors they need.
// A chunk that must reopen while every open chunk is in use waits for one to be released (room):
// so thousands of logs written at once take turns instead of opening thousands of files, and a
// log that keeps writing lets go of its files between rounds while others wait (contended).
// An open that fails with EMFILE/ENFILE anyway (connections took the rest) closes every idle
// chunk and tries once more.
import fs from 'node:fs';

/** What the LRU closes: a chunk with open files. */
export interface OpenChunk {
  /** In use: it must stay open until released. */
  readonly busy: boolean;
  close(): void;
}

/** Descriptors per open chunk: the .chunk file and the .idx file. */
const FDS_PER_CHUNK = 2;

export class OpenFiles {
  /** Open chunks, least recently used first. */
  private readonly lru = new Set<OpenChunk>();
  /** Users waiting for room to open a chunk, first come first served. */
  private readonly waiters: (() => void)[] = [];
  private evicting = false;

  /** `limit`: descriptors (not chunks) kept open at most while idle; at least one chunk's worth. */
  constructor(readonly limit: number) {}

  /** Descriptors open now. */
  get open(): number {
    return this.lru.size * FDS_PER_CHUNK;
  }

  /** Opens a file, closing idle chunks and retrying once when the process is out of descriptors. */
  openFile(path: string, flags: string | number): number {
    try {
      return fs.openSync(path, flags);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EMFILE' && code !== 'ENFILE') throw err;
      this.closeIdle(0, null);
      return fs.openSync(path, flags);
    }
  }

  /** The chunk has just opened its files: the most recently used now; may close older idle ones. */
  opened(chunk: OpenChunk): void {
    this.lru.delete(chunk);
    this.lru.add(chunk);
    this.closeIdle(this.limit, chunk);
  }

  /** The chunk is being used: the most recently used. */
  touch(chunk: OpenChunk): void {
    if (this.lru.delete(chunk)) this.lru.add(chunk);
  }

  /** The chunk has closed its files. */
  closed(chunk: OpenChunk): void {
    this.lru.delete(chunk);
    if (!this.evicting) this.wake();
  }

  /** The chunk is no longer in use (it may be closed now). */
  idle(): void {
    this.wake();
  }

  /** Someone waits for room: a user holding a chunk between rounds should let go of it. */
  get contended(): boolean {
    return this.waiters.length > 0;
  }

  /** null when a chunk may open now; else a promise that resolves when it may (one waiter per freed chunk). */
  room(): Promise<void> | null {
    if (this.waiters.length === 0 && this.hasRoom()) return null;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private hasRoom(): boolean {
    if (this.open + FDS_PER_CHUNK <= this.limit) return true;
    for (const chunk of this.lru) if (!chunk.busy) return true;
    return false;
  }

  private wake(): void {
    if (this.waiters.length > 0 && this.hasRoom()) this.waiters.shift()!();
  }

  /** Closes idle chunks but `keep` (just opened for its user), oldest use first, until at most `limit` descriptors stay open. */
  private closeIdle(limit: number, keep: OpenChunk | null): void {
    this.evicting = true;
    try {
      for (const chunk of this.lru) {
        if (this.open <= limit) return;
        if (!chunk.busy && chunk !== keep) chunk.close(); // calls closed(), which deletes it: safe while iterating a Set
      }
    } finally {
      this.evicting = false;
    }
  }
}
