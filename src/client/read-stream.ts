// The records of one READ, as an async iterator fed by the connection.
// Backpressure: when HIGH_WATER_RECORDS records or HIGH_WATER_BYTES payload bytes wait unread,
// the socket is paused, so the server stops sending; it resumes once the reader has taken them.
// Ending early (break, return()) stops the stream: a bounded NOWAIT read is drained to its END,
// a waiting read is sent STOP.
import { frameCrcMatches, type FrameHeader } from '../../protocol/frame.ts';
import type { Connection, ReplyHandler } from './connection.ts';
import { atCaller, clientError, replyError } from './reply-error.ts';
import type { LogRecord } from './types.ts';

const HIGH_WATER_RECORDS = 1024;
const HIGH_WATER_BYTES = 8 << 20;

export class ReadStream implements AsyncIterableIterator<LogRecord>, ReplyHandler {
  /** The id after the last record of the stream, once its `END <next>` arrived. */
  nextId: number | undefined;
  private queue: LogRecord[] = [];
  private queueHead = 0;
  private ended = false;
  private error: Error | null = null;
  private queuedBytes = 0;
  private waiter: (() => void) | null = null;
  private paused = false;
  /** Ending early: records still arriving are dropped until END. */
  private discarding = false;

  constructor(
    private readonly conn: Connection,
    readonly log: string,
    /** The READ waits for new records: ending it early takes a STOP. */
    private readonly waits: boolean,
  ) {}

  /** Records received and not yet taken by the reader. */
  get buffered(): number {
    return this.queue.length - this.queueHead;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<LogRecord>> {
    for (;;) {
      if (this.queueHead < this.queue.length) {
        const record = this.queue[this.queueHead++]!;
        this.queuedBytes -= record.payload.length;
        if (this.queueHead === this.queue.length) {
          this.queue = [];
          this.queueHead = 0;
          if (this.paused) {
            this.paused = false;
            this.conn.resume();
          }
        }
        return { value: record, done: false };
      }
      if (this.error) throw atCaller(this.error);
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Ends the stream early; resolves once the server has ended it. */
  async return(): Promise<IteratorResult<LogRecord>> {
    this.abandon();
    if (!this.ended) await new Promise<void>((resolve) => (this.waiter = resolve));
    return { value: undefined, done: true };
  }

  // ReplyHandler: fed by the connection.

  frame(buf: Buffer, pos: number, h: FrameHeader): void {
    if (this.discarding) return;
    if (!frameCrcMatches(buf, pos, h)) {
      this.error = clientError('internal', `record ${h.id} of ${this.log} failed its CRC check`);
      this.stopStream();
      return this.wake();
    }
    const from = pos + h.headerLength;
    this.queue.push({ id: h.id, timestamp: h.ts, payload: buf.subarray(from, from + h.len), crc: h.crc });
    this.queuedBytes += h.len;
    if (!this.paused && (this.queue.length - this.queueHead >= HIGH_WATER_RECORDS || this.queuedBytes >= HIGH_WATER_BYTES)) {
      this.paused = true;
      this.conn.pause();
    }
    this.wake();
  }

  line(text: string): boolean {
    if (text.startsWith('END')) {
      const next = Number(text.slice(4));
      if (Number.isSafeInteger(next)) this.nextId = next;
    } else {
      this.error ??= replyError(text) ?? clientError('internal', `unexpected reply in a READ stream: ${text.slice(0, 80)}`);
    }
    this.end();
    return true;
  }

  fail(err: Error): void {
    this.error ??= err;
    this.end();
  }

  /** Drops what was received but not taken, and stops the stream. */
  private abandon(): void {
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
    if (this.paused) {
      this.paused = false;
      this.conn.resume();
    }
    this.stopStream();
  }

  /** Records that arrive from now on are dropped; a waiting READ is told to STOP. */
  private stopStream(): void {
    if (this.ended || this.discarding) return;
    this.discarding = true;
    if (this.waits) this.conn.send('STOP\n', stopReply);
  }

  private end(): void {
    this.ended = true;
    if (this.paused) {
      this.paused = false;
      this.conn.resume();
    }
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}

/** STOP is answered `OK` after the READ's `END`, whether it ended the stream or came too late. */
const stopReply: ReplyHandler = {
  line: () => true,
  fail: () => undefined,
};
