// A connection's one output: everything written in one turn of the event loop (the replies to
// one socket read, stream frames, coalesced pushes) leaves in one corked socket write, after
// the turn (a microtask). It knows when the client is behind, wakes streams that waited for it,
// and watches for slow consumers (slow-consumer.ts).
import type { Socket } from 'node:net';
import { OutputWatch, type SlowConsumerLimits } from './slow-consumer.ts';

/** Output not yet taken by the kernel above which the connection stops reading commands. */
const OUTPUT_HIGH_WATER = 1024 * 1024;
/**
 * Output not yet taken by the kernel above which the output is blocked: a stream waits before
 * reading more from disk, pushes wait. Small, because the kernel's socket buffer already keeps a
 * fast client fed, and a client that does not read holds at most this plus one read step.
 */
const OUTPUT_BLOCKED_AT = 64 * 1024;

export class Output {
  private text = '';
  private chunks: Buffer[] = [];
  private readonly pushes = new Map<string, string>();
  private readyWaiters: (() => void)[] = [];
  private flushScheduled = false;
  private readingPaused = false;
  private ending = false;
  private stopped = false;
  private readonly watch: OutputWatch;

  constructor(
    private readonly socket: Socket,
    limits: SlowConsumerLimits,
    /** The client does not take its output: disconnect it, with the reason. */
    onSlowConsumer: (reason: string) => void,
    /** After each write to the socket and each drain: the moment to pause or resume reading. */
    private readonly onFlow: () => void,
  ) {
    this.watch = new OutputWatch(limits, () => socket.bytesWritten - socket.writableLength, onSlowConsumer);
    socket.on('drain', () => this.drained());
  }

  /** Stored bytes go out as they are; text is latin1 (protocol lines are ASCII). */
  write(data: Buffer | string): void {
    if (this.stopped) return;
    if (typeof data === 'string') {
      this.text += data;
    } else {
      if (this.text) {
        this.chunks.push(Buffer.from(this.text, 'latin1'));
        this.text = '';
      }
      this.chunks.push(data);
    }
    this.schedule();
  }

  /** An out-of-band line; a newer push with the same key replaces one not yet sent. */
  push(key: string, text: string): void {
    this.pushes.set(key, text);
    if (this.blocked) this.watch.held(text.length);
    this.schedule();
  }

  /**
   * Pauses reading the client's commands while it does not take its replies (or `tooMuchQueued`:
   * the connection holds too many of its commands), and resumes when it does.
   */
  pauseReadingIf(tooMuchQueued: boolean): void {
    const pause = tooMuchQueued || this.socket.writableLength >= OUTPUT_HIGH_WATER;
    if (pause === this.readingPaused) return;
    this.readingPaused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  /** False while the client is behind: streams wait (onReady) instead of reading more. */
  get ready(): boolean {
    return !this.stopped && !this.blocked;
  }

  onReady(fn: () => void): void {
    this.readyWaiters.push(fn);
  }

  /** Sends what is written so far, then ends the socket. */
  end(): void {
    this.ending = true;
    this.schedule();
  }

  /** The socket is gone: drop everything. */
  stop(): void {
    this.stopped = true;
    this.watch.stop();
    this.readyWaiters = [];
  }

  private get blocked(): boolean {
    return this.socket.writableLength >= OUTPUT_BLOCKED_AT;
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    if (this.pushes.size > 0 && !this.blocked) {
      for (const text of this.pushes.values()) this.text += text;
      this.pushes.clear();
    }
    const socket = this.socket;
    if (this.chunks.length === 0) {
      if (this.text) socket.write(this.text, 'latin1');
    } else {
      socket.cork();
      for (const chunk of this.chunks) socket.write(chunk);
      if (this.text) socket.write(this.text, 'latin1');
      socket.uncork();
      this.chunks = [];
    }
    this.text = '';
    if (this.ending) {
      this.stop();
      socket.end();
      return;
    }
    if (this.blocked) this.watch.blocked();
    this.onFlow();
  }

  private drained(): void {
    this.watch.drained();
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const fn of waiters) fn();
    if (this.pushes.size > 0) this.schedule();
    this.onFlow();
  }
}
