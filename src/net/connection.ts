// One client connection: socket bytes -> parser -> loop, and replies back in command order.
//
// Every command takes a place in one reply queue (reply-queue.ts) when it arrives and leaves it
// when its reply has been written, so command order is the queue's order by construction. A
// command runs once it can see the effects of every earlier one: at once, unless a stream (READ,
// REPLICATE) is ahead of it, or a non-write command finds an earlier write still waiting for its
// fsync (writes need not wait: the appender keeps them in order). The connection is in one of:
//   open       commands run as they arrive (replies may still wait for their fsync), except
//              while a stream is queued or owns the output (`streams > 0`, the streaming
//              phase): later commands then wait their turn;
//   closing    input has ended (CLOSE, a fatal error, the client's EOF, or a command that ends
//              the connection: SHUTDOWN, a wrong AUTH): nothing arriving later runs, the queue
//              drains, then the socket ends;
//   closed     the socket is gone; nothing more runs or is written.
// STOP and CLOSE act when they arrive: every READ and REPLICATE queued before them, running or
// not yet run, ends with `END <next-id>` in command order (reply-queue.ts STOP). The client's EOF
// makes them end at the head instead of waiting for new records (AT_HEAD). Output goes through
// one Output (output.ts); reading pauses while the client is behind or too much waits.
import type { Socket } from 'node:net';
import type { Command } from '../../protocol/commands.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import { Parser, type ParserLimits } from '../../protocol/parser.ts';
import type { ReplySlot, Session, Stream, StreamSink } from '../loop/session.ts';
import { Output } from './output.ts';
import { AT_HEAD, DEFERRED, DONE, type Reply, ReplyQueue, STOP, STREAM, applyEnding, type Ending } from './reply-queue.ts';
import type { SlowConsumerLimits } from './slow-consumer.ts';

/** Replies awaiting their fsync above which reading pauses. */
const MAX_DEFERRED = 100_000;
/**
 * Commands waiting for their turn (behind a stream, or behind a write awaiting its fsync) above
 * which reading pauses, by number and by the memory they hold: a STOP sent below it still arrives.
 */
const MAX_WAITING = 10_000;
const MAX_WAITING_BYTES = 8 * 1024 * 1024;

/** What a connection needs from the server around it. */
export interface ClientConnectionHost {
  /** Runs a command; its handler answers through the session (reply, defer or stream). */
  dispatch(session: Session, cmd: Command): void;
  /** The counted `ERR <code> <text>` line of an error the connection answers itself (the parser's). */
  errorLine(code: ErrorCode, text: string): string;
  /** Counts and logs a client disconnected for not taking its output. */
  slowConsumer(remote: string, reason: string): void;
}

type State = 'open' | 'closing' | 'closed';

let nextSessionId = 1;

export class ClientConnection implements Session, StreamSink {
  readonly id = nextSessionId++;
  readonly remote: string;
  authed = false;
  readonly subscriptions = new Map<string, () => void>();

  private state: State = 'open';
  private readonly parser: Parser;
  private readonly output: Output;
  private readonly queue = new ReplyQueue(this);
  private deferred = 0;
  private streams = 0;
  /** The started stream: it owns the output until its end(). */
  private active: Reply | null = null;
  /** The queued command being run: its handler's answer goes into its place. */
  private running: Reply | null = null;
  private settling = false;

  constructor(
    private readonly socket: Socket,
    private readonly host: ClientConnectionHost,
    limits: ParserLimits,
    slowConsumer: SlowConsumerLimits,
    private readonly onClosed: (conn: ClientConnection) => void,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.output = new Output(
      socket,
      slowConsumer,
      (reason) => {
        if (socket.destroyed) return;
        host.slowConsumer(this.remote, reason);
        socket.destroy();
      },
      () => this.updateFlow(),
    );
    this.parser = new Parser(limits, {
      command: (cmd) => this.onCommand(cmd),
      error: (code, message) => this.onError(code, message),
      fatal: (code, message) => {
        this.onError(code, message);
        this.finish(STOP);
      },
    });
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.parser.push(data));
    socket.on('end', () => this.finish(AT_HEAD)); // the client's EOF: answer what it sent, streams end at the head
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.teardown());
  }

  /** Closes the connection if it is idle (no stream, no subscription, nothing pending). */
  closeIfIdle(): boolean {
    if (this.streams > 0 || this.subscriptions.size > 0 || this.queue.pending) return false;
    this.socket.destroy();
    return true;
  }

  /** Graceful shutdown: end streams, send what is pending, close. */
  shutdown(): void {
    this.finish(STOP);
  }

  /** Drops the connection at once (a client that does not read during shutdown). */
  destroy(): void {
    this.socket.destroy();
  }

  // ---- input ----

  private onCommand(cmd: Command): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    const verb = cmd.verb;
    const stream = this.active?.stream;
    if (verb === 'ACK' && stream?.input) return stream.input(cmd); // a follower's ACK goes to its REPLICATE stream
    if (verb === 'STOP' || verb === 'CLOSE') this.endStreams(STOP);
    if (this.queue.noneWaiting && this.canRun(cmd)) this.host.dispatch(this, cmd);
    else this.queue.wait(cmd, null);
    if (verb === 'CLOSE') this.endInput();
    else if (this.queue.waiting >= MAX_WAITING || this.queue.waitingBytes >= MAX_WAITING_BYTES) this.updateFlow();
  }

  private onError(code: ErrorCode, message: string): void {
    const line = this.host.errorLine(code, message);
    if (!this.queue.pending) this.output.write(line);
    else if (this.queue.noneWaiting) this.queue.ran(DONE, line);
    else this.queue.wait(null, line);
  }

  private canRun(cmd: Command): boolean {
    return this.streams === 0 && (this.deferred === 0 || cmd.verb === 'MSG' || cmd.verb === 'APPEND');
  }

  /** Asks every READ and REPLICATE sent so far, running or not run yet, to end (see reply-queue.ts). */
  private endStreams(how: Ending): void {
    const wasSettling = this.settling;
    this.settling = true; // streams that end now are written after the loop, in order
    this.queue.endStreams(how);
    this.settling = wasSettling;
    this.settle();
  }

  private finish(streams: Ending): void {
    this.endStreams(streams);
    this.endInput();
  }

  /** Nothing arriving from now on runs; the connection ends once the queue is empty. */
  private endInput(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.settle();
  }

  // ---- Session: how a handler answers the command being run ----

  reply(text: string): void {
    const r = this.running;
    if (r) {
      r.state = DONE;
      r.text = text;
    } else if (!this.queue.pending) {
      this.output.write(text);
    } else {
      this.queue.ran(DONE, text);
    }
  }

  defer(): ReplySlot {
    if (++this.deferred >= MAX_DEFERRED) this.updateFlow();
    const r = this.running;
    if (r) {
      r.state = DEFERRED;
      return r;
    }
    return this.queue.ran(DEFERRED, null);
  }

  stream(stream: Stream): void {
    const r = this.running ?? this.queue.ran(STREAM, null);
    r.state = STREAM;
    r.stream = stream;
    this.streams++;
    this.settle();
  }

  push(key: string, text: string): void {
    this.output.push(key, text);
  }

  /** Ends the connection after the command being run: later commands are dropped, never run. */
  close(): void {
    const r = this.running;
    if (r) this.queue.dropAfter(r);
    this.endInput();
  }

  /** Only for a command run as it arrived (nothing waits before it: the slot is the newest reply). */
  join(slot: ReplySlot): boolean {
    if (this.running !== null || !this.queue.join(slot)) return false;
    if (++this.deferred >= MAX_DEFERRED) this.updateFlow();
    return true;
  }

  /** Reply (the queue's owner): a deferred reply is known. */
  replied(commands: number): void {
    this.deferred -= commands;
    this.settle();
  }

  // ---- StreamSink: the started stream writes through the connection ----

  write(data: Buffer | string): void {
    this.output.write(data);
  }

  writeLine(text: string): void {
    this.output.write(text);
  }

  get ready(): boolean {
    return this.output.ready;
  }

  onReady(fn: () => void): void {
    this.output.onReady(fn);
  }

  end(text: string): void {
    const r = this.active!;
    this.active = null;
    r.state = DONE;
    r.text = text;
    r.stream = null;
    this.streams--;
    this.settle();
  }

  // ---- the queue ----

  /** Writes the replies whose turn has come, starts the stream that reaches the head, runs the commands that can. */
  private settle(): void {
    if (this.settling || this.state === 'closed') return;
    this.settling = true;
    const q = this.queue;
    for (let progress = true; progress; ) {
      progress = false;
      for (let r = q.first(); r; r = q.first()) {
        if (r.state === DONE) {
          this.output.write(r.text!);
          q.written();
        } else if (r.state === STREAM && !r.started) {
          this.start(r);
        } else {
          break;
        }
      }
      for (let r = q.nextToRun(); r && this.canRun(r.cmd!); r = q.nextToRun()) {
        q.take();
        this.running = r;
        this.host.dispatch(this, r.cmd!);
        this.running = null;
        r.cmd = null;
        progress = true;
      }
    }
    const empty = q.compact();
    this.settling = false;
    if (this.state === 'closing' && empty) this.output.end();
    else this.updateFlow();
  }

  private start(r: Reply): void {
    r.started = true;
    this.active = r;
    const stream = r.stream!;
    if (r.ending) applyEnding(stream, r.ending); // STOP or EOF came before its turn: start() ends as asked
    stream.start(this);
  }

  // ---- flow control and the end ----

  private updateFlow(): void {
    const q = this.queue;
    this.output.pauseReadingIf(this.deferred >= MAX_DEFERRED || q.waiting >= MAX_WAITING || q.waitingBytes >= MAX_WAITING_BYTES);
  }

  private teardown(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.output.stop();
    this.active?.stream?.stop();
    for (const cancel of this.subscriptions.values()) cancel();
    this.subscriptions.clear();
    this.onClosed(this);
  }
}
