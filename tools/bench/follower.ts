// A reading connection (catch-up read or live follow) that counts delivered records and lets a
// workload wait until a number of them has arrived.
import type { Socket } from 'node:net';
import { FramedReader, type LineHandler } from './framed.ts';
import type { LatencyRecorder } from './stamp.ts';

/** What a protocol's reply handler reports to. */
export interface DeliverySink {
  delivered(records: number): void;
  /** Where to record append-to-delivery latency, when measured. */
  readonly latency: LatencyRecorder | null;
}

export class Follower implements DeliverySink {
  received = 0;
  private target = Infinity;
  private waiter: { resolve(): void; reject(err: Error): void } | null = null;
  private error: Error | null = null;
  private closing = false;

  constructor(
    readonly socket: Socket,
    public latency: LatencyRecorder | null,
  ) {
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error(`connection closed after ${this.received} records`)));
  }

  /** Starts feeding the socket's bytes to `handler` (which reports to this follower). */
  attach(handler: LineHandler, maxLine?: number): void {
    const reader = new FramedReader(handler, maxLine);
    this.socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        this.fail(err as Error);
      }
    });
  }

  delivered(records: number): void {
    this.received += records;
    if (this.received >= this.target && this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve();
    }
  }

  /** Resolves once `records` records in all have arrived. */
  until(records: number): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    if (this.received >= records) return Promise.resolve();
    this.target = records;
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  fail(err: Error): void {
    if (this.closing || this.error) return;
    this.error = err;
    this.socket.destroy();
    if (this.waiter) this.waiter.reject(err);
    this.waiter = null;
  }

  close(): void {
    this.closing = true;
    this.socket.destroy();
  }
}
