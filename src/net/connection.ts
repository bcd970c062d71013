// One client connection: socket bytes -> parser -> loop, and replies back in command order.
//
// Replies are queued in command order; a deferred reply (an append waiting for its fsync) holds
// back the ones behind it. A stream (READ) owns the output from the moment every earlier reply
// is out until its END; commands that arrive meanwhile are held and run after it. Output is
// gathered and written once per turn of the event loop, and reading pauses while the client
// is not reading its replies, so memory per connection stays bounded. Pushes wait (coalesced per
// log) while the output is blocked; a client that never takes them is a slow consumer
// (slow-consumer.ts) and is disconnected with a logged reason.
import type { Socket } from 'node:net';
import type { Command } from '../../protocol/commands.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import { Parser, type ParserLimits } from '../../protocol/parser.ts';
import { errLine } from '../../protocol/replies.ts';
import type { Loop } from '../loop/loop.ts';
import type { ReplySlot, Session, Stream, StreamSink } from '../loop/session.ts';
import { OutputWatch, type SlowConsumerLimits } from './slow-consumer.ts';

/** Output not yet taken by the kernel above which reading pauses. */
const OUTPUT_HIGH_WATER = 1024 * 1024;
/**
 * Output not yet taken by the kernel above which the output is blocked: a stream waits before
 * reading more from disk, pushes wait. Small, because the kernel's socket buffer already keeps a
 * fast client fed, and a client that does not read holds at most this plus one read step.
 */
const OUTPUT_BLOCKED_AT = 64 * 1024;
/** Replies awaiting their fsync above which reading pauses. */
const MAX_PENDING_REPLIES = 100_000;
/** Commands held behind a stream above which reading pauses (STOP still arrives below it). */
const MAX_HELD = 10_000;

/** One reply in the queue: text once known, or a stream that owns the output until it ends. */
class Entry implements ReplySlot {
  text: string | null = null;
  started = false;
  stopRequested = false;

  constructor(
    private readonly conn: Connection,
    public stream: Stream | null,
    /** Counted in the connection's pending replies until sent. */
    readonly deferred = false,
  ) {}

  send(text: string): void {
    this.text = text;
    this.conn.settle();
  }
}

let nextSessionId = 1;

export class Connection implements Session, StreamSink {
  readonly id = nextSessionId++;
  readonly remote: string;
  authed = false;
  readonly subscriptions = new Map<string, () => void>();

  private readonly parser: Parser;
  private queue: Entry[] = [];
  private queueHead = 0;
  private pendingReplies = 0;
  private streams = 0;
  private active: Entry | null = null;
  private held: (Command | string)[] = [];
  private heldHead = 0;
  private out = '';
  private chunks: Buffer[] = [];
  private readonly pushes = new Map<string, string>();
  private readyWaiters: (() => void)[] = [];
  private flushScheduled = false;
  private draining = false;
  /** End the socket once every reply and held command is done (CLOSE, fatal error, client EOF). */
  private closing = false;
  /** CLOSE or a fatal error: later input is ignored. */
  private ignoreInput = false;
  private closed = false;
  private paused = false;
  private readonly watch: OutputWatch;

  constructor(
    private readonly socket: Socket,
    private readonly loop: Loop,
    limits: ParserLimits,
    slowConsumer: SlowConsumerLimits,
    private readonly onClosed: (conn: Connection) => void,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.watch = new OutputWatch(slowConsumer, () => socket.bytesWritten - socket.writableLength, (reason) => this.dropSlowConsumer(reason));
    this.parser = new Parser(limits, {
      command: (cmd) => this.onCommand(cmd),
      error: (code, message) => this.onError(code, message),
      fatal: (code, message) => this.onFatal(code, message),
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.parser.push(chunk));
    socket.on('end', () => this.endAfterReplies()); // the client is done sending: answer what it sent, then close
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.teardown());
  }

  /** Closes the connection if it has been idle (no stream, no subscription, nothing pending). */
  closeIfIdle(): boolean {
    if (this.streams > 0 || this.subscriptions.size > 0 || this.queueHead < this.queue.length) return false;
    this.socket.destroy();
    return true;
  }

  /** Graceful shutdown: end streams, send what is pending, close. */
  shutdown(): void {
    this.stopStream();
    this.close();
  }

  /** Drops the connection at once (a client that does not read during shutdown). */
  destroy(): void {
    this.socket.destroy();
  }

  // ---- parser sink ----

  private onCommand(cmd: Command): void {
    if (this.ignoreInput) return;
    const stream = this.active?.stream;
    if (cmd.verb === 'ACK' && stream?.input) return stream.input(cmd); // a follower's ACK goes to its REPLICATE stream
    if (this.streams > 0 && (cmd.verb === 'STOP' || cmd.verb === 'CLOSE')) this.stopStream(); // at once; their replies wait their turn
    if (this.heldHead < this.held.length || !this.canRun(cmd)) return this.hold(cmd);
    this.loop.dispatch(this, cmd);
  }

  private onError(code: ErrorCode, message: string): void {
    this.loop.ctx.stats.error(code);
    const line = errLine(code, message);
    if (this.heldHead < this.held.length || this.streams > 0) this.hold(line);
    else this.reply(line);
  }

  /**
   * A command runs once it can see the effects of every earlier command of this connection: not
   * during a stream, and not while an earlier write awaits its fsync (so a pipelined HEAD or READ
   * after a MSG sees that MSG). Writes need not wait: the appender keeps them in order.
   */
  private canRun(item: Command | string): boolean {
    if (this.streams > 0) return false;
    if (typeof item === 'string') return true;
    return this.pendingReplies === 0 || item.verb === 'MSG' || item.verb === 'APPEND';
  }

  private hold(item: Command | string): void {
    this.held.push(item);
    if (this.held.length - this.heldHead >= MAX_HELD) this.updateFlow();
  }

  /** The framing is lost: answer what came before, then this error, then close. */
  private onFatal(code: ErrorCode, message: string): void {
    this.stopStream();
    this.onError(code, message);
    this.close();
  }

  private stopStream(): void {
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const e = this.queue[i];
      if (!e.stream) continue;
      if (e.started) e.stream.stop();
      else e.stopRequested = true;
    }
  }

  // ---- Session ----

  reply(text: string): void {
    if (this.queueHead === this.queue.length) this.write(text);
    else this.enqueue(text);
  }

  defer(): ReplySlot {
    const entry = new Entry(this, null, true);
    this.queue.push(entry);
    this.pendingReplies++;
    return entry;
  }

  stream(stream: Stream): void {
    this.streams++;
    this.queue.push(new Entry(this, stream));
    this.settle();
  }

  push(key: string, text: string): void {
    this.pushes.set(key, text);
    if (this.outputBlocked) this.watch.held(text.length);
    this.scheduleFlush();
  }

  close(): void {
    this.ignoreInput = true;
    this.endAfterReplies();
  }

  private endAfterReplies(): void {
    this.closing = true;
    this.scheduleFlush();
  }

  // ---- StreamSink (the active stream writes through the connection) ----

  write(data: Buffer | string): void {
    if (this.closed) return;
    if (typeof data === 'string') {
      this.out += data;
    } else {
      if (this.out) {
        this.chunks.push(Buffer.from(this.out, 'latin1'));
        this.out = '';
      }
      this.chunks.push(data);
    }
    this.scheduleFlush();
  }

  writeLine(text: string): void {
    this.write(text);
  }

  get ready(): boolean {
    return !this.closed && !this.outputBlocked;
  }

  onReady(fn: () => void): void {
    this.readyWaiters.push(fn);
  }

  private get outputBlocked(): boolean {
    return this.socket.writableLength >= OUTPUT_BLOCKED_AT;
  }

  end(text: string): void {
    const entry = this.active!;
    this.active = null;
    this.streams--;
    entry.stream = null;
    entry.send(text);
  }

  // ---- the reply queue ----

  private enqueue(text: string): void {
    const entry = new Entry(this, null);
    entry.text = text;
    this.queue.push(entry);
  }

  /** Sends every finished reply at the head of the queue and starts a stream that reaches it. */
  settle(): void {
    if (this.draining) return;
    this.draining = true;
    const queue = this.queue;
    while (this.queueHead < queue.length) {
      const entry = queue[this.queueHead];
      if (entry.stream) {
        if (entry.started) break;
        entry.started = true;
        this.active = entry;
        entry.stream.start(this);
        if (entry.stopRequested) entry.stream?.stop();
        continue; // the stream may have ended at once
      }
      if (entry.text === null) break;
      this.write(entry.text);
      this.queueHead++;
      if (entry.deferred) this.pendingReplies--;
    }
    if (this.queueHead === queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > queue.length) {
      this.queue = queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    this.draining = false;
    if (this.heldHead < this.held.length) this.releaseHeld();
  }

  private releaseHeld(): void {
    while (this.heldHead < this.held.length && !this.closed && this.canRun(this.held[this.heldHead])) {
      const item = this.held[this.heldHead++];
      if (typeof item === 'string') this.reply(item);
      else this.loop.dispatch(this, item);
    }
    if (this.heldHead === this.held.length) {
      this.held = [];
      this.heldHead = 0;
    }
    this.updateFlow();
  }

  // ---- output ----

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    if (this.pushes.size > 0 && !this.outputBlocked) {
      for (const text of this.pushes.values()) this.out += text;
      this.pushes.clear();
    }
    const socket = this.socket;
    if (this.chunks.length === 0) {
      if (this.out) socket.write(this.out, 'latin1');
    } else {
      socket.cork();
      for (const chunk of this.chunks) socket.write(chunk);
      if (this.out) socket.write(this.out, 'latin1');
      socket.uncork();
      this.chunks = [];
    }
    this.out = '';
    if (this.outputBlocked) this.watch.blocked();
    if (this.closing && this.queueHead === this.queue.length && this.held.length === 0) {
      socket.end();
      return;
    }
    this.updateFlow();
  }

  private onDrain(): void {
    this.watch.drained();
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const fn of waiters) fn();
    if (this.pushes.size > 0) this.scheduleFlush();
    this.updateFlow();
  }

  /** Pauses reading while the client does not keep up with its replies; resumes when it does. */
  private updateFlow(): void {
    const behind =
      this.socket.writableLength >= OUTPUT_HIGH_WATER ||
      this.pendingReplies >= MAX_PENDING_REPLIES ||
      this.held.length - this.heldHead >= MAX_HELD;
    if (behind && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!behind && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  /** Closes at once: the client does not take its output (the reason goes to the log). */
  private dropSlowConsumer(reason: string): void {
    if (this.socket.destroyed) return;
    this.loop.ctx.stats.slowConsumers++;
    this.loop.ctx.logger(`disconnected ${this.remote}: ${reason}`);
    this.socket.destroy();
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    this.watch.stop();
    for (let i = this.queueHead; i < this.queue.length; i++) if (this.queue[i].started) this.queue[i].stream?.stop();
    for (const cancel of this.subscriptions.values()) cancel();
    this.subscriptions.clear();
    this.readyWaiters = [];
    this.onClosed(this);
  }
}
