// The tools' one line splitter (logtail's files, logtool's stdin and files): splits a byte stream
// into lines, remembering where each ends in the stream. Lines are bytes (not necessarily UTF-8,
// kept exactly); the LF is not part of a line. A line inside one read is a view of it; an
// unfinished last line is held until its LF arrives, or cut at `maxLine` bytes so one endless
// line cannot fill memory (Infinity: never cut).

const LF = 10;

export class LineSplitter {
  private partial: Buffer[] = [];
  private partialBytes = 0;

  constructor(private readonly maxLine: number) {}

  /** Bytes of an unfinished line held. */
  get held(): number {
    return this.partialBytes;
  }

  /** Feeds `chunk`, read at file offset `pos`; calls onLine(line, offsetAfterIt) per line. */
  push(chunk: Buffer, pos: number, onLine: (line: Buffer, end: number) => void): void {
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const stop = lf < 0 ? chunk.length : lf;
      if (lf >= 0 && this.partialBytes === 0 && lf - start <= this.maxLine) {
        const line = chunk.subarray(start, lf);
        start = lf + 1;
        onLine(line, pos + start);
        continue;
      }
      let from = start;
      while (this.partialBytes + (stop - from) > this.maxLine) {
        const cut = this.maxLine - this.partialBytes;
        this.hold(chunk.subarray(from, from + cut));
        from += cut;
        onLine(this.take(), pos + from);
      }
      this.hold(chunk.subarray(from, stop));
      if (lf < 0) return;
      start = lf + 1;
      onLine(this.take(), pos + start);
    }
  }

  /** The unfinished line, if any, as a line of its own (its file has ended); ends at `end`. */
  flush(end: number, onLine: (line: Buffer, end: number) => void): void {
    if (this.partialBytes > 0) onLine(this.take(), end);
  }

  /** Forgets the unfinished line (the file was truncated). */
  reset(): void {
    this.partial = [];
    this.partialBytes = 0;
  }

  private hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.partial.push(bytes);
    this.partialBytes += bytes.length;
  }

  private take(): Buffer {
    const line = this.partial.length === 1 ? this.partial[0]! : Buffer.concat(this.partial);
    this.partial = [];
    this.partialBytes = 0;
    return line;
  }
}
