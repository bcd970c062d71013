// Cuts a REPLICATE stream (REC frames as stored, with `HB <head>` and a final `END`/`ERR` line
// between them) into batches of whole frames and control lines, without copying or allocating per
// frame: a batch is a view of the received buffer. The scanning (and the carrying of a frame or
// line split across socket reads, joined once when whole) is the ReplyReader's (src/wire); this gathers
// the frames it finds side by side in one buffer into batches, one appendFrames each. The source may be
// hostile: nothing longer than a control line or a frame of `maxPayload` is ever held.
import type { FrameHeader } from '../../protocol/frame.ts';
import { ReplyReader } from '../wire/reply-reader.ts';

export interface CutterSink {
  /** `count` whole frames, ids first..last, exactly as received. The buffer is never reused. */
  frames(batch: Buffer, count: number, first: number, last: number): void;
  /** A control line (CR LF removed). */
  line(text: string): void;
  /** The stream is not a REPLICATE stream any more; nothing more is delivered. */
  malformed(reason: string): void;
}

/** A control line is short (`HB <id>`, `END <id>`, `ERR <code> <text of at most 200 chars>`). */
const MAX_LINE = 1024;

export class FrameCutter {
  private readonly reader: ReplyReader;
  /** The batch being gathered: frames [batchStart, batchEnd) of batchBuf. */
  private batchBuf: Buffer | null = null;
  private batchStart = 0;
  private batchEnd = 0;
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

  push(received: Buffer): void {
    this.reader.push(received);
    this.flush();
  }

  private frame(buf: Buffer, pos: number, h: FrameHeader): void {
    if (buf !== this.batchBuf || pos !== this.batchEnd) {
      this.flush();
      this.batchBuf = buf;
      this.batchStart = pos;
      this.first = h.id;
    }
    this.batchEnd = pos + h.headerLength + h.len + 2;
    this.last = h.id;
    this.count++;
  }

  private flush(): void {
    if (this.count > 0) this.sink.frames(this.batchBuf!.subarray(this.batchStart, this.batchEnd), this.count, this.first, this.last);
    this.batchBuf = null;
    this.count = 0;
  }
}
