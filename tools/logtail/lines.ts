// Splits the bytes of a file into lines, remembering where each ends in the file. Lines are
// bytes (not necessarily UTF-8); the LF is not part of a line. An unfinished last line is held
// until its LF arrives, or cut at `maxLine` bytes so one endless line cannot fill memory.

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
    for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, start)) {
      const piece = chunk.subarray(start, lf);
      start = lf + 1;
      if (this.partialBytes > 0) {
        this.partial.push(piece);
        onLine(this.take(), pos + start);
      } else onLine(piece, pos + start);
    }
    let rest = chunk.subarray(start);
    let restPos = pos + start;
    while (this.partialBytes + rest.length > this.maxLine) {
      const cut = this.maxLine - this.partialBytes;
      this.partial.push(rest.subarray(0, cut));
      this.partialBytes += cut;
      rest = rest.subarray(cut);
      restPos += cut;
      onLine(this.take(), restPos);
    }
    if (rest.length > 0) {
      this.partial.push(rest);
      this.partialBytes += rest.length;
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

  private take(): Buffer {
    const line = this.partial.length === 1 ? this.partial[0] : Buffer.concat(this.partial);
    this.partial = [];
    this.partialBytes = 0;
    return line;
  }
}
