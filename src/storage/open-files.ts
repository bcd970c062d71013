// The descriptors storage keeps open, all logs together: one LRU of chunks with open files (a
// chunk holds two: its .chunk and its .idx). Every log's active chunk and the sealed chunks being
// read hold some; past the limit, the least recently used chunks nobody is using (no reader, no
// round, no sync in flight) are closed, and reopen on their next use. So the number of logs does
// not bound the number of open files, and connections keep the descriptors they need.
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
      this.closeIdle(0);
      return fs.openSync(path, flags);
    }
  }

  /** The chunk has just opened its files: the most recently used now; may close older idle ones. */
  opened(chunk: OpenChunk): void {
    this.lru.delete(chunk);
    this.lru.add(chunk);
    this.closeIdle(this.limit);
  }

  /** The chunk is being used: the most recently used. */
  touch(chunk: OpenChunk): void {
    if (this.lru.delete(chunk)) this.lru.add(chunk);
  }

  /** The chunk has closed its files. */
  closed(chunk: OpenChunk): void {
    this.lru.delete(chunk);
  }

  /** Closes idle chunks, oldest use first, until at most `limit` descriptors stay open. */
  private closeIdle(limit: number): void {
    for (const chunk of this.lru) {
      if (this.open <= limit) return;
      if (!chunk.busy) chunk.close(); // calls closed(), which deletes it: safe while iterating a Set
    }
  }
}
