// Test helper: a raw protocol connection that reads replies line by line and REC frames by length.
import { connect, type Socket } from 'node:net';
import { newFrameHeader, parseFrame, FRAME_INCOMPLETE, FRAME_MALFORMED } from '../protocol/frame.ts';

export interface Rec {
  id: number;
  ts: number;
  crc: number;
  payload: Buffer;
}

export class Wire {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static open(port: number, host = '127.0.0.1'): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new Wire(socket)));
      socket.once('error', reject);
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends one command line and returns the first reply line. */
  async command(line: string): Promise<string> {
    this.send(line + '\n');
    return this.line();
  }

  /** The next line, without its CRLF. Rejects if the connection closes first. */
  async line(timeoutMs = 10_000): Promise<string> {
    for (;;) {
      const lf = this.buf.indexOf(10);
      if (lf >= 0) {
        const line = this.buf.subarray(0, lf > 0 && this.buf[lf - 1] === 13 ? lf - 1 : lf).toString('latin1');
        this.buf = this.buf.subarray(lf + 1);
        return line;
      }
      await this.more(timeoutMs);
    }
  }

  /** Reads REC frames until `END <next>`; returns them with the END line. */
  async records(timeoutMs = 10_000): Promise<{ records: Rec[]; end: string }> {
    const records: Rec[] = [];
    const h = newFrameHeader();
    for (;;) {
      if (this.buf.length >= 3 && this.buf.subarray(0, 3).toString() !== 'REC') {
        return { records, end: await this.line(timeoutMs) };
      }
      const n = parseFrame(this.buf, 0, this.buf.length, h);
      if (n === FRAME_MALFORMED) throw new Error(`malformed frame: ${JSON.stringify(this.buf.subarray(0, 80).toString('latin1'))}`);
      if (n === FRAME_INCOMPLETE) {
        await this.more(timeoutMs);
        continue;
      }
      records.push({ id: h.id, ts: h.ts, crc: h.crc, payload: Buffer.from(this.buf.subarray(h.headerLength, h.headerLength + h.len)) });
      this.buf = this.buf.subarray(n);
    }
  }

  /** Bytes received and not consumed yet. */
  pending(): Buffer {
    return this.buf;
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    while (!this.ended) await this.more(timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private more(timeoutMs: number): Promise<void> {
    if (this.ended) return Promise.reject(new Error(`connection closed; unread: ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no reply in ${timeoutMs} ms; unread: ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))}`)),
        timeoutMs,
      );
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
