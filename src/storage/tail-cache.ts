// The newest rounds written to a log's active chunk, kept in memory as they were written. Readers
// at the head (live followers, and often many of them) get these bytes without a disk read and
// share one buffer between them, instead of each holding its own copy. All logs' caches share one
// byte budget (TailBudget): with thousands of logs written, the caches of the logs written least
// recently are emptied (their readers read the page cache instead), so memory does not grow with
// the number of logs.
export class TailCache {
  /** Whole rounds, oldest first: the chunk's bytes [start, start + buf.length). */
  private rounds: { start: number; buf: Buffer }[] = [];
  private bytes = 0;

  constructor(
    private readonly limit: number,
    private readonly budget: TailBudget | null = null,
  ) {}

  /** Keeps a round just acknowledged; drops the oldest beyond the limit. */
  add(start: number, buf: Buffer): void {
    if (buf.length > this.limit) return this.clear();
    const before = this.bytes;
    this.rounds.push({ start, buf });
    this.bytes += buf.length;
    while (this.bytes > this.limit) this.bytes -= this.rounds.shift()!.buf.length;
    this.budget?.written(this, this.bytes - before);
  }

  clear(): void {
    const held = this.bytes;
    this.rounds = [];
    this.bytes = 0;
    this.budget?.emptied(this, held);
  }

  /** The chunk's bytes [from, to) when one kept round holds all of them, else null. */
  slice(from: number, to: number): Buffer | null {
    for (let i = this.rounds.length - 1; i >= 0; i--) {
      const { start, buf } = this.rounds[i]!;
      if (from >= start && to <= start + buf.length) return buf.subarray(from - start, to - start);
      if (from >= start) return null;
    }
    return null;
  }
}

/** The bytes all logs' tail caches hold together, at most `limit`: past it, the least recently written caches are emptied. */
export class TailBudget {
  /** Caches holding bytes, least recently written first. */
  private readonly caches = new Set<TailCache>();
  private bytes = 0;

  constructor(readonly limit: number) {}

  /** Bytes held by all caches now. */
  get held(): number {
    return this.bytes;
  }

  /** `cache` was just written and grew by `delta` bytes (negative when it dropped more than it took). */
  written(cache: TailCache, delta: number): void {
    this.bytes += delta;
    this.caches.delete(cache);
    this.caches.add(cache);
    for (const other of this.caches) {
      if (this.bytes <= this.limit) return;
      if (other !== cache) other.clear(); // calls emptied(), which deletes it: safe while iterating a Set
    }
  }

  emptied(cache: TailCache, held: number): void {
    this.bytes -= held;
    this.caches.delete(cache);
  }
}
