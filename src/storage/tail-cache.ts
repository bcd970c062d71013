// The newest rounds written to a log's active chunk, kept in memory as they were written. Readers
// at the head (live followers, and often many of them) get these bytes without a disk read and
// share one buffer between them, instead of each holding its own copy.
export class TailCache {
  /** Whole rounds, oldest first: the chunk's bytes [start, start + buf.length). */
  private runs: { start: number; buf: Buffer }[] = [];
  private bytes = 0;

  constructor(private readonly limit: number) {}

  /** Keeps a round just acknowledged; drops the oldest beyond the limit. */
  add(start: number, buf: Buffer): void {
    if (buf.length > this.limit) return this.clear();
    this.runs.push({ start, buf });
    this.bytes += buf.length;
    while (this.bytes > this.limit) this.bytes -= this.runs.shift()!.buf.length;
  }

  clear(): void {
    this.runs = [];
    this.bytes = 0;
  }

  /** The chunk's bytes [from, to) when one kept round holds all of them, else null. */
  slice(from: number, to: number): Buffer | null {
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const { start, buf } = this.runs[i];
      if (from >= start && to <= start + buf.length) return buf.subarray(from - start, to - start);
      if (from >= start) return null;
    }
    return null;
  }
}
