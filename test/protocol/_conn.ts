// Test helper: a raw TCP connection that hands out the server's bytes line by line (through a
// given number of LFs, so a REC payload with LFs inside is read whole) and notices EOF.
import { connect, type Socket } from 'node:net';

export class RawConn {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.notify();
    });
    socket.on('close', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', () => {}); // a reset shows up as 'close'
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => {
        socket.off('error', reject);
        resolve(new RawConn(socket));
      });
      socket.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The server's bytes through the next `lineFeeds` LFs. */
  async through(lineFeeds: number, timeoutMs: number): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let end = -1;
      for (let i = 0, from = 0; i < lineFeeds; i++, from = end + 1) {
        end = this.buf.indexOf(10, from);
        if (end < 0) break;
      }
      if (end >= 0) {
        const out = this.buf.subarray(0, end + 1);
        this.buf = this.buf.subarray(end + 1);
        return out;
      }
      if (this.ended) throw new Error(`connection closed; unread: ${show(this.buf)}`);
      await this.more(deadline, `no line within ${timeoutMs} ms; unread: `);
    }
  }

  /** Waits for EOF; returns the bytes that were still unread. */
  async closed(timeoutMs: number): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) await this.more(deadline, `still open after ${timeoutMs} ms; unread: `);
    return this.buf;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private more(deadline: number, why: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.wake = null;
          reject(new Error(why + show(this.buf)));
        },
        Math.max(0, deadline - Date.now()),
      );
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** Bytes for an error message: JSON-quoted latin1, capped. */
export function show(bytes: Buffer): string {
  return JSON.stringify(bytes.subarray(0, 300).toString('latin1')) + (bytes.length > 300 ? '...' : '');
}
