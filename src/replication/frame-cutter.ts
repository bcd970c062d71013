// Cuts a REPLICATE stream (REC frames as stored, with `HB <head>` and a final `END`/`ERR` line
// between them) into runs of whole frames and control lines, without copying or allocating per
// frame: a run is a view of the received chunk. The scanning (and the carrying of a frame or line
// split across chunks, joined once when whole) is the client's ReplyReader; this groups the
// frames it finds side by side in one buffer into runs, one appendFrames each. The source may be
// hostile: nothing longer than a control line or a frame of `maxPayload` is ever held.
import type { FrameHeader } from '../../protocol/frame.ts';
import { ReplyReader } from '../wire/reply-reader.ts';

export interface CutterSink {
  /** `count` whole frames, ids first..last, exactly as received. The buffer is never reused. */
  frames(run: Buffer, count: number, first: number, last: number): void;
  /** A control line (CR LF removed). */
  line(text: string): void;
  /** The stream is not a REPLICATE stream any more; nothing more is delivered. */
  malformed(reason: string): void;
}

/** A control line is short (`HB <id>`, `END <id>`, `ERR <code> <text of at most 200 chars>`). */
const MAX_LINE = 1024;

export class FrameCutter {
  private readonly reader: ReplyReader;
  /** The run being gathered: frames [runStart, runEnd) of runBuf. */
  private runBuf: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private count = 0;
  private first = 0;
  private last = 0;

  constructor(
    private readonly sink: CutterSink,
    /** The longest payload accepted (this node's --max-msg): a frame declaring more breaks the stream. */
    maxPayload = Infinity,
  ) {
    this.reader = new ReplyReader(
      {
        frame: (buf, pos, h) => this.frame(buf, pos, h),
        line: (text) => {
          this.flush();
          sink.line(text);
        },
        malformed: (reason, kind) => {
          this.flush();
          sink.malformed(kind === 'line' ? `control line over ${MAX_LINE} bytes` : `${reason}, after id ${this.last || 'start'}`);
        },
      },
      MAX_LINE,
      maxPayload,
    );
  }

  /** Bytes held for an unfinished frame or line. */
  get buffered(): number {
    return this.reader.buffered;
  }

  push(chunk: Buffer): void {
    this.reader.push(chunk);
    this.flush();
  }

  private frame(buf: Buffer, pos: number, h: FrameHeader): void {
    if (buf !== this.runBuf || pos !== this.runEnd) {
      this.flush();
      this.runBuf = buf;
      this.runStart = pos;
      this.first = h.id;
    }
    this.runEnd = pos + h.headerLength + h.len + 2;
    this.last = h.id;
    this.count++;
  }

  private flush(): void {
    if (this.count > 0) this.sink.frames(this.runBuf!.subarray(this.runStart, this.runEnd), this.count, this.first, this.last);
    this.runBuf = null;
    this.count = 0;
  }
}
