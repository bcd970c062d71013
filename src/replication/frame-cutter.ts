// Cuts a REPLICATE stream (REC frames as stored, with `HB <head>` and a final `END`/`ERR` line
// between them) into runs of whole frames and control lines, without copying or allocating per
// frame: a run is a view of the received chunk. Only a frame or line split across chunks is
// carried, and a large frame's pieces are gathered until its declared length has arrived, so a
// 1 MiB record costs one copy, not one per chunk.
import { FRAME_INCOMPLETE, FRAME_MALFORMED, MAX_FRAME_HEADER, newFrameHeader, parseFrame } from '../../protocol/frame.ts';

export interface CutterSink {
  /** `count` whole frames, ids first..last, exactly as received. The buffer is never reused. */
  frames(run: Buffer, count: number, first: number, last: number): void;
  /** A control line (CR LF removed). */
  line(text: string): void;
  /** The stream is not a REPLICATE stream any more; nothing more is delivered. */
  malformed(reason: string): void;
}

const LF = 10;
const R = 82;
const SPACE = 32;
/** A control line is short (`HB <id>`, `END <id>`, `ERR <code> <text of at most 200 chars>`). */
const MAX_LINE = 1024;

export class FrameCutter {
  private readonly header = newFrameHeader();
  /** Bytes of an unfinished frame or line, oldest first. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the unfinished frame needs before parsing it again is worth it (0: unknown). */
  private need = 0;
  private broken = false;

  constructor(private readonly sink: CutterSink) {}

  /** Bytes held for an unfinished frame or line. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): void {
    if (this.broken) return;
    let buf = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.need) return;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.cut(buf);
  }

  private cut(buf: Buffer): void {
    const h = this.header;
    const end = buf.length;
    let pos = 0;
    let runStart = 0;
    let count = 0;
    let first = 0;
    let last = 0;
    while (pos < end) {
      if (buf[pos] === R) {
        const n = parseFrame(buf, pos, end, h);
        if (n === FRAME_INCOMPLETE) break;
        if (n === FRAME_MALFORMED) {
          if (count > 0) this.sink.frames(buf.subarray(runStart, pos), count, first, last);
          return this.fail(`malformed frame after id ${last || 'start'}`);
        }
        if (count === 0) first = h.id;
        last = h.id;
        count++;
        pos += n;
        continue;
      }
      const lf = buf.indexOf(LF, pos);
      if (lf < 0) break;
      if (lf - pos > MAX_LINE) return this.fail('control line too long');
      if (count > 0) this.sink.frames(buf.subarray(runStart, pos), count, first, last);
      count = 0;
      const lineEnd = lf > pos && buf[lf - 1] === 13 ? lf - 1 : lf;
      this.sink.line(buf.toString('latin1', pos, lineEnd));
      if (this.broken) return;
      pos = lf + 1;
      runStart = pos;
    }
    if (count > 0) this.sink.frames(buf.subarray(runStart, pos), count, first, last);
    if (pos < end) this.hold(buf.subarray(pos));
  }

  /** Keeps an unfinished frame or line for the next chunk. */
  private hold(rest: Buffer): void {
    if (rest[0] !== R && rest.length > MAX_LINE) return this.fail('control line too long');
    this.pending = [rest];
    this.pendingBytes = rest.length;
    this.need = rest[0] === R ? declaredLength(rest) : 0;
  }

  private fail(reason: string): void {
    this.broken = true;
    this.pending = [];
    this.pendingBytes = 0;
    this.sink.malformed(reason);
  }
}

/**
 * The whole length of the frame that starts `buf`, from its header, or 0 while the header is
 * incomplete. Only a hint for when to parse again: parseFrame stays the judge of the bytes.
 */
function declaredLength(buf: Buffer): number {
  const lf = buf.indexOf(LF);
  if (lf < 0 || lf >= MAX_FRAME_HEADER) return 0;
  let spaces = 0;
  let pos = 0;
  while (pos < lf && spaces < 3) if (buf[pos++] === SPACE) spaces++;
  let len = 0;
  while (pos < lf && buf[pos] >= 48 && buf[pos] <= 57) len = len * 10 + (buf[pos++] - 48);
  return lf + 1 + len + 2;
}
