// The chunks of one log, oldest first; the last one is active. Finds the chunk of an id, opens a
// chunk's files within the shared budget for one use, and takes chunks out (trim, restart).
import { stat } from 'node:fs/promises';
import type { LogdError } from '../../protocol/errors.ts';
import { type Chunk, VanishedError } from './chunk.ts';

export class ChunkSet {
  constructor(
    private readonly chunks: Chunk[],
    /** The error for a read of a trimmed chunk (`gone <first>`). */
    private readonly goneError: () => LogdError,
    /** The log's files are not where they were: its error. */
    private readonly lostError: (why: string) => LogdError,
  ) {}

  // `chunks` is never empty (the last one is the active chunk; trims keep it): the `!`s below.
  get active(): Chunk {
    return this.chunks[this.chunks.length - 1]!;
  }

  /** First retained id (1 for a never-trimmed log, even when empty). */
  first(): number {
    return this.chunks[0]!.firstId;
  }

  /** Oldest first (a copy: trims do not move it under the caller). */
  list(): Chunk[] {
    return [...this.chunks];
  }

  /** The chunk holding `id` (the first one for ids below it). */
  chunkOf(id: number): Chunk {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.chunks[mid]!.firstId <= id) lo = mid;
      else hi = mid - 1;
    }
    return this.chunks[lo]!;
  }

  /** A roll: `fresh` becomes the active chunk. */
  push(fresh: Chunk): void {
    this.chunks.push(fresh);
  }

  /** How many leading chunks hold only ids below `before` (never the active one). */
  trimmable(before: number): number {
    let n = 0;
    while (n < this.chunks.length - 1 && this.chunks[n + 1]!.firstId <= before) n++;
    return n;
  }

  /** The first id of the chunk at `i` (0 <= i < the number of chunks). */
  firstIdAt(i: number): number {
    return this.chunks[i]!.firstId;
  }

  /** Takes the `n` oldest chunks out of the list (the caller removes their files). */
  takeOldest(n: number): Chunk[] {
    return this.chunks.splice(0, n);
  }

  /** Restart: `fresh` replaces every chunk. */
  replaceAll(fresh: Chunk): void {
    this.chunks.splice(0, this.chunks.length, fresh);
  }

  /** Runs fn with the chunk's files open (reopened within the shared budget of open files if closed). */
  async withChunk<T>(chunk: Chunk, fn: (chunk: Chunk) => Promise<T>): Promise<T> {
    await this.acquire(chunk);
    try {
      return await fn(chunk);
    } finally {
      chunk.release();
    }
  }

  /** Waits for room in the budget, then marks a use of the chunk; a vanished file makes the log lost. */
  async acquire(chunk: Chunk): Promise<void> {
    try {
      const room = chunk.room();
      if (room) await room;
      chunk.acquire(this.goneError);
    } catch (err) {
      throw err instanceof VanishedError ? this.lostError(err.message) : err;
    }
  }

  /** The chunk files, oldest first, with their size and last write (retention weighs them). */
  async files(): Promise<{ first: number; bytes: number; mtimeMs: number }[]> {
    const out: { first: number; bytes: number; mtimeMs: number }[] = [];
    for (const chunk of this.list()) {
      try {
        const s = await stat(chunk.chunkPath);
        out.push({ first: chunk.firstId, bytes: s.size, mtimeMs: s.mtimeMs });
      } catch {
        // Trimmed meanwhile.
      }
    }
    return out;
  }

  closeSoon(): void {
    for (const chunk of this.chunks) chunk.closeSoon();
  }

  closeAll(): void {
    for (const chunk of this.chunks) chunk.close();
  }
}
