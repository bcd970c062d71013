// One TCP connection to a logd server: pipelined commands, replies matched in order.
// Every command pushes a ReplyHandler on a FIFO; the server answers the commands of a
// connection in order, so each reply line or frame belongs to the handler at the FIFO's head.
// `HEAD <log> <id>` lines are never replies (HEAD itself answers `OK <id>`): they are the
// pushes of SUBSCRIBE and go to onPush whenever they arrive.
// Writes made in one tick leave together on the next: one write (or writev) per tick.
// With `reconnect`, a lost socket is replaced: the commands in flight fail (never sent again:
// the server may have executed them), the commands sent meanwhile wait and go to the new one.
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { FrameHeader } from '../../protocol/frame.ts';
import { Retry, type BackoffOptions } from '../wire/backoff.ts';
import { ReplyReader } from '../wire/reply-reader.ts';
import { atCaller, ConnectionError, replyError } from './reply-error.ts';
import { codeOf, dialSocket } from './dial-socket.ts';

export interface ConnectOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 1774. */
  port?: number;
  /** Sent with AUTH before anything else when given. */
  token?: string;
  /** Connect with TLS (a node started with --tls-cert), e.g. `{ ca: readFileSync('ca.pem') }`. */
  tls?: ConnectionOptions;
  /** Default 10000. */
  connectTimeoutMs?: number;
  /**
   * Reconnect by itself when the connection is lost (default false): see docs/CLIENT.md. Calls in
   * flight reject with ConnectionError and are never sent again; calls made while reconnecting
   * wait for the new connection. `true`, or the backoff between attempts and a hook per attempt.
   */
  reconnect?: boolean | ReconnectOptions;
}

export interface ReconnectOptions extends BackoffOptions {
  /** Told about each failed or lost connection before waiting `delayMs` for the next attempt. */
  onRetry?: (err: Error, delayMs: number) => void;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 1774;

/** Consumes the reply of one command. */
export interface ReplyHandler {
  /** A reply line; returns true when this handler's reply is complete. */
  line(text: string): boolean;
  /** A REC frame; only handlers of streaming commands accept them. */
  frame?(buf: Buffer, pos: number, h: FrameHeader): void;
  /** The connection failed before the reply was complete. */
  fail(err: Error): void;
}

export class Connection {
  /** Called for each pushed `HEAD <log> <id>`. */
  onPush: ((log: string, id: number) => void) | null = null;
  private readonly pending: ReplyHandler[] = [];
  private pendingHead = 0;
  /** Written this tick, sent on the next. */
  private out: (string | Buffer)[] = [];
  private failure: Error | null = null;
  private socket!: Socket;
  private reader!: ReplyReader;
  /** Between a lost socket and its replacement (with `reconnect`): what is sent waits in `out`. */
  private reconnecting = false;
  /** close() was called: the server's close that follows is no loss to repair. */
  private closing = false;
  /** Wakes a reconnection's backoff wait when the connection is destroyed meanwhile. */
  private readonly stopRetrying = new AbortController();
  private markClosed!: () => void;
  /** Resolves when the connection has closed for good, for whatever reason. */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));
  /** Called once a lost connection is replaced, after AUTH: to restore per-connection state (SUBSCRIBE). */
  onReconnect: (() => void) | null = null;

  private constructor(
    socket: Socket,
    private readonly opts: ConnectOptions,
    private readonly retry: ReconnectOptions | null,
  ) {
    this.attach(socket);
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.reader = new ReplyReader({
      line: (text) => this.onLine(text),
      frame: (buf, pos, h) => this.onFrame(buf, pos, h),
      malformed: (reason) => this.destroy(new ConnectionError('EPROTO', `bad reply from server: ${reason}`)),
    });
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => {
      if (socket === this.socket) this.reader.push(data);
    });
    socket.on('error', (err) => this.lost(socket, new ConnectionError(codeOf(err), err.message)));
    socket.on('end', () => this.lost(socket, new ConnectionError('ECLOSED', 'server closed the connection')));
    socket.on('close', () => {
      this.lost(socket, new ConnectionError('ECLOSED', 'connection closed'));
      if (socket === this.socket && this.failure) this.markClosed();
    });
  }

  /**
   * Opens a connection and, with a token, authenticates it. `reconnect` (the client's own
   * connection only; streams that resume by themselves pass nothing) replaces a lost socket.
   */
  static open(opts: ConnectOptions = {}, reconnect: ConnectOptions['reconnect'] = false): Promise<Connection> {
    const retry = reconnect === true ? {} : reconnect || null;
    return dialSocket(opts.host ?? DEFAULT_HOST, opts.port ?? DEFAULT_PORT, opts).then(async (socket) => {
      const conn = new Connection(socket, opts, retry);
      if (opts.token !== undefined) {
        try {
          await conn.request(`AUTH ${opts.token}\n`);
        } catch (err) {
          conn.destroy();
          throw err;
        }
      }
      return conn;
    });
  }

  /** True until the connection has failed for good (also while it reconnects). */
  get isOpen(): boolean {
    return this.failure === null;
  }

  /** The socket is gone: fail what is in flight, then give up (no `reconnect`) or replace it. */
  private lost(socket: Socket, err: Error): void {
    if (socket !== this.socket || this.failure || this.reconnecting) return;
    if (!this.retry || this.closing) return this.destroy(err);
    this.reconnecting = true;
    socket.destroy();
    this.out = [];
    this.failPending(err);
    void this.redial(err);
  }

  private async redial(cause: Error): Promise<void> {
    const opts = this.retry!;
    const retry = new Retry(opts);
    for (;;) {
      await retry.failed(this.stopRetrying.signal, (delay) => opts.onRetry?.(cause, delay));
      if (this.failure) return;
      let socket: Socket;
      try {
        socket = await dialSocket(this.opts.host ?? DEFAULT_HOST, this.opts.port ?? DEFAULT_PORT, this.opts);
      } catch (err) {
        cause = err as Error;
        continue;
      }
      if (this.failure) return void socket.destroy();
      this.reconnecting = false;
      this.attach(socket);
      // AUTH goes before what waited; a refused token is final.
      if (this.opts.token !== undefined) {
        this.pending.splice(this.pendingHead, 0, {
          line: (text) => {
            const refused = replyError(text);
            if (refused) this.destroy(refused);
            return true;
          },
          fail: () => undefined,
        });
        this.out.unshift(`AUTH ${this.opts.token}\n`);
      }
      this.onReconnect?.();
      this.flush();
      return;
    }
  }

  /** Sends a command whose reply `handler` consumes. */
  send(data: string | Buffer, handler: ReplyHandler): void {
    if (this.failure) {
      handler.fail(this.failure);
      return;
    }
    this.pending.push(handler);
    this.write(data);
  }

  private write(data: string | Buffer): void {
    if (this.failure) return;
    if (this.out.length === 0 && !this.reconnecting) process.nextTick(this.flush);
    this.out.push(data);
  }

  /** Sends what this tick wrote: strings joined into one write, buffers in one writev. */
  private readonly flush = (): void => {
    if (this.reconnecting) return;
    const out = this.out;
    this.out = [];
    if (this.failure || out.length === 0) return;
    if (out.length === 1) this.socket.write(out[0]!);
    else if (out.every((chunk) => typeof chunk === 'string')) this.socket.write(out.join(''));
    else {
      this.socket.cork();
      for (const chunk of out) this.socket.write(chunk);
      this.socket.uncork();
    }
  };

  /** Sends a one-line command and resolves with its one-line reply (ERR rejects with LogdError). */
  async request(line: string | Buffer): Promise<string> {
    try {
      return await new Promise<string>((resolve, reject) => {
        this.send(line, {
          line(text) {
            const err = replyError(text);
            if (err) reject(err);
            else resolve(text);
            return true;
          },
          fail: reject,
        });
      });
    } catch (err) {
      throw atCaller(err as Error);
    }
  }

  /** Stops reading from the socket (the server then stops sending: TCP backpressure). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.failure) this.socket.resume();
  }

  /** Sends CLOSE and waits for the server to close the connection. */
  async close(): Promise<void> {
    if (this.reconnecting) this.destroy();
    if (this.failure) return;
    this.closing = true;
    await this.request('CLOSE\n').catch(() => undefined);
    this.socket.end();
    await this.closed;
  }

  /** Closes the socket at once; every reply still pending fails with `err`. */
  destroy(err: Error = new ConnectionError('ECLOSED', 'connection closed by the client')): void {
    if (this.failure) return;
    this.failure = err;
    this.stopRetrying.abort();
    this.socket.destroy();
    // While reconnecting, the old socket has closed already: nothing else will say so.
    if (this.reconnecting || this.socket.closed) this.markClosed();
    this.failPending(err);
  }

  private failPending(err: Error): void {
    const failed = this.pending.slice(this.pendingHead);
    this.pending.length = 0;
    this.pendingHead = 0;
    for (const handler of failed) handler.fail(err);
  }

  private current(): ReplyHandler | undefined {
    return this.pending[this.pendingHead];
  }

  private shift(): void {
    this.pendingHead++;
    if (this.pendingHead === this.pending.length) {
      this.pending.length = 0;
      this.pendingHead = 0;
    } else if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
  }

  private onLine(text: string): void {
    if (this.failure) return;
    if (text.startsWith('HEAD ')) return this.onPushLine(text);
    const handler = this.current();
    if (!handler) return this.destroy(new ConnectionError('EPROTO', `unexpected reply from server: ${text.slice(0, 80)}`));
    if (handler.line(text) && !this.failure) this.shift();
  }

  private onFrame(buf: Buffer, pos: number, h: FrameHeader): void {
    if (this.failure) return;
    const handler = this.current();
    if (!handler?.frame) return this.destroy(new ConnectionError('EPROTO', `unexpected REC ${h.id} from server`));
    handler.frame(buf, pos, h);
  }

  private onPushLine(text: string): void {
    const [, log, id] = text.split(' ');
    const n = Number(id);
    if (log === undefined || !Number.isSafeInteger(n)) {
      return this.destroy(new ConnectionError('EPROTO', `bad push from server: ${text.slice(0, 80)}`));
    }
    this.onPush?.(log, n);
  }
}
