// The link to one participant: a connection that starts with the node id exchange (hello.ts) and
// then asks `LOGS` every second. It tells the replicator which logs the participant holds and how
// far (discovery of new logs in a namespace, and the heads that choose a relay), and whether the
// participant is reachable at all: one stderr line per change, up or down, and per new reason it
// is down. A reply missing for SILENCE_MS counts as a dead link. The peer may be hostile or
// broken: its reply lines are bounded by --max-line, a reply by MAX_REPLY_LINES and
// MAX_REPLY_BYTES, and nothing past a bound is held.
import type { Socket } from 'node:net';
import type { FrameHeader } from '../../protocol/frame.ts';
import { sleep } from '../wire/backoff.ts';
import { authLine, dial, type DialOptions } from '../wire/dial.ts';
import { ReplyReader } from '../wire/reply-reader.ts';
import type { Logger } from '../logger.ts';
import { SILENCE_MS } from './follower.ts';
import { helloCommand, helloId, selfReason } from './hello.ts';
import type { Participant } from './participants.ts';
import { RECONNECT, supervise } from './supervisor.ts';

const POLL_MS = 1000;
/** The most lines (logs) one LOGS reply may have: a reply past it ends the link. */
export const MAX_REPLY_LINES = 100_000;
/** The most bytes one LOGS reply may take. */
export const MAX_REPLY_BYTES = 32 << 20;

export interface PeerLinkOptions {
  /** This node's id, stated in HELLO. */
  nodeId: string;
  /** This node's token and TLS settings. */
  dial: DialOptions;
  /** The longest reply line taken from a peer (this node's --max-line). */
  maxLine: number;
}

export class PeerLink {
  /** Reachable (its last LOGS answered in time); null until the first attempt has ended. */
  up: boolean | null = null;
  /** The logs it holds, with their heads, as of its last LOGS; null: a copy that is no source (diverged). */
  heads: ReadonlyMap<string, number | null> = new Map();
  /** Why it is down, as last logged. */
  private why = '';
  private readonly controller = new AbortController();
  private running: Promise<void> = Promise.resolve();

  constructor(
    readonly participant: Participant,
    private readonly o: PeerLinkOptions,
    /** Called after each poll and each change of up. */
    private readonly onUpdate: (link: PeerLink) => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const signal = this.controller.signal;
    this.running = supervise(() => this.poll(signal), {
      ...RECONNECT,
      signal,
      onCrash: (err) => this.logger(`peer ${this.participant.name}: ${(err as Error).stack ?? String(err)}`),
    });
  }

  /** Stops polling; resolves when the connection is closed. */
  stop(): Promise<void> {
    this.controller.abort();
    return this.running;
  }

  /** One connection: HELLO, then LOGS every second until it fails. */
  private async poll(signal: AbortSignal): Promise<'progressed' | 'failed'> {
    const { host, port, name } = this.participant;
    const conn = new LineConnection(host, port, this.o, signal);
    let answered = false;
    try {
      // The first request is `AUTH` (with a token) + `HELLO` + `LOGS`: their replies are lines before LOGS's.
      for (let first = authLine(this.o.dial.token) + helloCommand(this.o.nodeId); !signal.aborted; first = '') {
        const lines = await conn.request(first + 'LOGS\n', SILENCE_MS);
        if (first) {
          const id = lines.map(helloId).find((h) => h !== null);
          if (!id) throw new Error('no HELLO reply');
          if (id === this.o.nodeId) throw new Error(selfReason(name, host, port, id)); // never up: never followed
        }
        answered = true;
        this.heads = parseLogs(lines);
        this.setUp(true, '');
        await sleep(POLL_MS, signal);
      }
      return 'progressed';
    } catch (err) {
      if (!signal.aborted) this.setUp(false, (err as Error).message);
      return answered ? 'progressed' : 'failed';
    } finally {
      conn.close();
    }
  }

  private setUp(up: boolean, why: string): void {
    const { name, host, port } = this.participant;
    if (this.up !== up || (!up && why !== this.why)) this.logger(up ? `peer ${name} up at ${host}:${port}` : `peer ${name} down at ${host}:${port}: ${why}`);
    this.up = up;
    this.why = why;
    this.onUpdate(this);
  }
}

/** `LOG <name> <role> <first-id> <head> ...` lines -> name -> head (null for a diverged copy). */
function parseLogs(lines: string[]): Map<string, number | null> {
  const heads = new Map<string, number | null>();
  for (const line of lines) {
    const words = line.split(' ');
    if (words[0] === 'LOG' && words.length >= 5) heads.set(words[1]!, words.includes('state=diverged') ? null : Number(words[4]));
  }
  return heads;
}

/** A connection for commands whose reply is lines up to `END`; an `ERR` line is an error. */
class LineConnection {
  private readonly socket: Socket;
  private readonly reader: ReplyReader;
  private lines: string[] = [];
  private bytes = 0;
  private waiter: { resolve: (lines: string[]) => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly onAbort = () => this.fail(new Error('stopped'));

  constructor(
    host: string,
    port: number,
    options: PeerLinkOptions,
    private readonly signal: AbortSignal,
  ) {
    this.reader = new ReplyReader(
      {
        line: (text) => this.onLine(text),
        frame: (_buf: Buffer, _pos: number, h: FrameHeader) => this.fail(new Error(`unexpected REC frame (id ${h.id}) in a LOGS reply`)),
        malformed: (reason, kind) => this.fail(new Error(kind === 'line' ? `reply line over ${options.maxLine} bytes` : reason)),
      },
      options.maxLine,
      0,
    );
    this.socket = dial(host, port, options.dial.tls, () => {});
    this.socket.on('data', (data: Buffer) => this.reader.push(data));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
    signal.addEventListener('abort', this.onAbort);
  }

  /** Sends `command`; resolves with the reply's lines (without END). */
  request(command: string, timeoutMs: number): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    this.socket.write(command);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no answer for ${timeoutMs / 1000} s`)), timeoutMs);
      this.waiter = {
        resolve: (lines) => {
          clearTimeout(timer);
          resolve(lines);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
  }

  close(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
  }

  private onLine(line: string): void {
    if (this.failure) return;
    if (line === 'END' || line.startsWith('ERR ')) {
      const waiter = this.waiter;
      this.waiter = null;
      const lines = this.lines;
      this.lines = [];
      this.bytes = 0;
      if (line === 'END') waiter?.resolve(lines);
      else waiter?.reject(new Error(line.slice(0, 200)));
      return;
    }
    this.bytes += line.length;
    if (this.lines.length >= MAX_REPLY_LINES || this.bytes > MAX_REPLY_BYTES) {
      return this.fail(new Error(`reply over ${this.lines.length >= MAX_REPLY_LINES ? `${MAX_REPLY_LINES} lines` : `${MAX_REPLY_BYTES} bytes`}`));
    }
    this.lines.push(line);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.lines = [];
    this.socket.destroy();
    this.waiter?.reject(err);
    this.waiter = null;
  }
}
