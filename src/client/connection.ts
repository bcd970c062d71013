// One TCP connection to a logd server: pipelined commands, replies matched in order.
// Every command pushes a ReplyHandler on a FIFO; the server answers the commands of a
// connection in order, so each reply line or frame belongs to the handler at the FIFO's head.
// `HEAD <log> <id>` lines are never replies (HEAD itself answers `OK <id>`): they are the
// pushes of SUBSCRIBE and go to onPush whenever they arrive.
// Writes made in one tick leave together on the next: one write (or writev) per tick.
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { FrameHeader } from '../../protocol/frame.ts';
import { ReplyReader } from './reply-reader.ts';
import { ConnectionError, replyError } from './reply-error.ts';
import { dial } from './dial.ts';

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
  private readonly reader: ReplyReader;
  /** Resolves when the socket has closed, for whatever reason. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    this.reader = new ReplyReader({
      line: (text) => this.onLine(text),
      frame: (buf, pos, h) => this.onFrame(buf, pos, h),
      malformed: (reason) => this.destroy(new ConnectionError('EPROTO', `bad reply from server: ${reason}`)),
    });
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.reader.push(data));
    socket.on('error', (err) => this.destroy(new ConnectionError(codeOf(err), err.message)));
    socket.on('end', () => this.destroy(new ConnectionError('ECLOSED', 'server closed the connection')));
    this.closed = new Promise((resolve) => socket.on('close', () => {
      this.destroy(new ConnectionError('ECLOSED', 'connection closed'));
      resolve();
    }));
  }

  /** Opens a connection and, with a token, authenticates it. */
  static open(opts: ConnectOptions = {}): Promise<Connection> {
    const host = opts.host ?? DEFAULT_HOST;
    const port = opts.port ?? DEFAULT_PORT;
    return new Promise<Connection>((resolve, reject) => {
      const socket = dial(host, port, opts.tls, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new Connection(socket));
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError('ETIMEDOUT', `connect to ${host}:${port} timed out`));
      }, opts.connectTimeoutMs ?? 10_000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new ConnectionError(codeOf(err), `cannot connect to ${host}:${port}: ${err.message}`));
      });
    }).then(async (conn) => {
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

  get isOpen(): boolean {
    return this.failure === null;
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
    if (this.out.length === 0) process.nextTick(this.flush);
    this.out.push(data);
  }

  /** Sends what this tick wrote: strings joined into one write, buffers in one writev. */
  private readonly flush = (): void => {
    const out = this.out;
    this.out = [];
    if (this.failure) return;
    if (out.length === 1) this.socket.write(out[0]!);
    else if (out.every((chunk) => typeof chunk === 'string')) this.socket.write(out.join(''));
    else {
      this.socket.cork();
      for (const chunk of out) this.socket.write(chunk);
      this.socket.uncork();
    }
  };

  /** Sends a one-line command and resolves with its one-line reply (ERR rejects with LogdError). */
  request(line: string | Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
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
    if (this.failure) return;
    await this.request('CLOSE\n').catch(() => undefined);
    this.socket.end();
    await this.closed;
  }

  /** Closes the socket at once; every reply still pending fails with `err`. */
  destroy(err: Error = new ConnectionError('ECLOSED', 'connection closed by the client')): void {
    if (this.failure) return;
    this.failure = err;
    this.socket.destroy();
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
    if (handler.line(text)) this.shift();
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

function codeOf(err: Error): string {
  return (err as NodeJS.ErrnoException).code ?? 'ECONN';
}
