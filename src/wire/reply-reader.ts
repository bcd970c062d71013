// Splits the bytes a server sends into reply lines and REC frames, incrementally.
// A frame is recognised by its `REC ` prefix at a line start; everything else is a CRLF-ended
// line. Bytes of an unfinished line or frame are held (as received, not copied) until enough
// have arrived, so a large frame spanning many TCP segments is joined once, not once per segment.
// Also the base of replication's FrameCutter, which reads a REPLICATE stream the same way; there
// the peer may be hostile, so a frame's declared length is checked against `maxPayload` as soon
// as its header is in, before its bytes are held.
import { FRAME_INCOMPLETE, FRAME_MALFORMED, MAX_FRAME_HEADER, newFrameHeader, parseFrame, type FrameHeader } from '../../protocol/frame.ts';

export interface ReplySink {
  /** One reply line without its CRLF. */
  line(text: string): void;
  /** One well-formed frame at `pos` of `buf`; `h` is reused between calls. */
  frame(buf: Buffer, pos: number, h: FrameHeader): void;
  /** The server sent something that is neither a line nor a frame: the stream is unusable. */
  malformed(reason: string, kind: 'frame' | 'line'): void;
}

/** Longest reply line accepted by default; the server's lines are short, so more means a broken stream. */
const MAX_LINE = 1 << 20;
const LF = 10;
const CR = 13;

export class ReplyReader {
  private readonly header = newFrameHeader();
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Bytes that must be held before parsing again is worthwhile. */
  private need = 0;
  private broken = false;

  constructor(
    private readonly sink: ReplySink,
    private readonly maxLine = MAX_LINE,
    /** A frame declaring a longer payload breaks the stream (nothing of it is held). */
    private readonly maxPayload = Infinity,
  ) {}

  /** Bytes held for an unfinished line or frame. */
  get buffered(): number {
    return this.heldBytes;
  }

  push(data: Buffer): void {
    if (this.broken) return;
    if (this.heldBytes > 0) {
      this.held.push(data);
      this.heldBytes += data.length;
      if (this.heldBytes < this.need) return;
      data = Buffer.concat(this.held, this.heldBytes);
      this.held = [];
      this.heldBytes = 0;
    }
    const rest = this.scan(data);
    if (rest < data.length) {
      this.held.push(rest === 0 ? data : data.subarray(rest));
      this.heldBytes = data.length - rest;
    }
  }

  /** Parses whole lines and frames of `buf`; returns the position of the first unparsed byte. */
  private scan(buf: Buffer): number {
    const end = buf.length;
    let pos = 0;
    while (pos < end && !this.broken) {
      if (buf[pos] === 82 /* R */ && looksLikeFrame(buf, pos, end)) {
        const n = parseFrame(buf, pos, end, this.header);
        if (n > 0) {
          if (this.header.len > this.maxPayload) return this.tooLarge(this.header.len, end);
          this.sink.frame(buf, pos, this.header);
          pos += n;
          continue;
        }
        if (n === FRAME_INCOMPLETE) {
          const len = declaredLength(buf, pos, end);
          if (len > this.maxPayload) return this.tooLarge(len, end);
          this.need = len < 0 ? end - pos + 1 : headerLength(buf, pos) + len + 2;
          return pos;
        }
        if (n === FRAME_MALFORMED) return this.fail(`malformed REC frame: ${snippet(buf, pos, end)}`, 'frame', end);
      }
      const lf = buf.indexOf(LF, pos);
      if (lf < 0 || lf - pos > this.maxLine) {
        if (lf >= 0 || end - pos > this.maxLine) return this.fail('reply line too long', 'line', end);
        this.need = end - pos + 1;
        return pos;
      }
      const lineEnd = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
      const text = buf.toString('utf8', pos, lineEnd);
      pos = lf + 1;
      this.sink.line(text);
    }
    return end;
  }

  private tooLarge(len: number, end: number): number {
    return this.fail(`REC frame of ${len} bytes is over the limit of ${this.maxPayload}`, 'frame', end);
  }

  private fail(reason: string, kind: 'frame' | 'line', end: number): number {
    this.broken = true;
    this.held = [];
    this.heldBytes = 0;
    this.sink.malformed(reason, kind);
    return end;
  }
}

/** True when the bytes at pos are, or may still become, `REC `. */
function looksLikeFrame(buf: Buffer, pos: number, end: number): boolean {
  const prefix = 'REC ';
  for (let i = 0; i < 4; i++) {
    if (pos + i >= end) return true;
    if (buf[pos + i] !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/** The payload length an incomplete frame at pos declares, or -1 while its header is not in. */
function declaredLength(buf: Buffer, pos: number, end: number): number {
  const lf = buf.indexOf(LF, pos);
  if (lf < 0 || lf >= end || lf - pos > MAX_FRAME_HEADER) return -1;
  const len = Number(buf.toString('latin1', pos, lf).split(' ')[3]);
  return Number.isSafeInteger(len) ? len : -1;
}

/** The length of the (complete) header line of the frame at pos, LF included. */
function headerLength(buf: Buffer, pos: number): number {
  return buf.indexOf(LF, pos) + 1 - pos;
}

function snippet(buf: Buffer, pos: number, end: number): string {
  return JSON.stringify(buf.toString('latin1', pos, Math.min(end, pos + 40)));
}
