// A streaming reader for replies made of header lines, some followed by a body whose length the
// line gives (logd REC frames, RESP bulk strings, NATS MSG). Allocation-free per message: a line
// split across chunks is copied into one reused buffer, a body is skipped by counting, and only
// its first few bytes (where the benchmarks put a send timestamp) are copied out on request.

const LF = 10;
const CR = 13;

export interface LineHandler {
  /**
   * A line [start, end) without its line end. Returns the length of the body that follows it
   * (including the body's own line end), or 0 when none does.
   */
  line(buf: Buffer, start: number, end: number): number;
  /** How many leading bytes of the body just announced should be handed to `prefix` (0: none). */
  prefixWanted(): number;
  /** The first bytes of a body, as asked for by prefixWanted. */
  prefix(buf: Buffer, len: number): void;
}

export class FramedReader {
  private readonly carry: Buffer;
  private carried = 0;
  /** Body bytes still to skip. */
  private skip = 0;
  private readonly scratch = Buffer.alloc(64);
  private prefixWant = 0;
  private prefixHave = 0;

  constructor(
    private readonly handler: LineHandler,
    maxLine = 1 << 16,
  ) {
    this.carry = Buffer.alloc(maxLine);
  }

  push(chunk: Buffer): void {
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - pos);
        if (this.prefixWant > this.prefixHave) this.gatherPrefix(chunk, pos, pos + n);
        this.skip -= n;
        pos += n;
        continue;
      }
      const lf = chunk.indexOf(LF, pos);
      if (lf < 0) {
        if (this.carried + end - pos > this.carry.length) throw new Error('reply line too long');
        chunk.copy(this.carry, this.carried, pos, end);
        this.carried += end - pos;
        return;
      }
      let body: number;
      if (this.carried > 0) {
        chunk.copy(this.carry, this.carried, pos, lf);
        const len = this.carried + lf - pos;
        this.carried = 0;
        body = this.handler.line(this.carry, 0, len > 0 && this.carry[len - 1] === CR ? len - 1 : len);
      } else {
        body = this.handler.line(chunk, pos, lf > pos && chunk[lf - 1] === CR ? lf - 1 : lf);
      }
      pos = lf + 1;
      if (body > 0) {
        this.skip = body;
        this.prefixWant = Math.min(this.handler.prefixWanted(), this.scratch.length, body);
        this.prefixHave = 0;
      }
    }
  }

  private gatherPrefix(chunk: Buffer, from: number, to: number): void {
    const n = Math.min(this.prefixWant - this.prefixHave, to - from);
    chunk.copy(this.scratch, this.prefixHave, from, from + n);
    this.prefixHave += n;
    if (this.prefixHave === this.prefixWant) this.handler.prefix(this.scratch, this.prefixHave);
  }
}

/** Parses the decimal digits of buf[start, end); NaN when there are none or a non-digit. */
export function parseDecimal(buf: Buffer, start: number, end: number): number {
  if (start >= end) return NaN;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

/** The start of the `index`-th space-separated field of buf[start, end), or -1. */
export function fieldStart(buf: Buffer, start: number, end: number, index: number): number {
  let pos = start;
  for (let f = 0; f < index; f++) {
    pos = fieldEnd(buf, pos, end);
    if (pos === end) return -1;
    pos++;
  }
  return pos;
}

/** The end of the field starting at `pos` (the next space, or `end`). */
export function fieldEnd(buf: Buffer, pos: number, end: number): number {
  while (pos < end && buf[pos] !== 32) pos++;
  return pos;
}
