// The link to one participant: a connection that asks `LOGS` every second. It tells the
// replicator which logs the participant holds and how far (discovery of new logs in a namespace,
// and the heads that choose a relay), and whether the participant is reachable at all: one
// stderr line per change, up or down. A reply missing for SILENCE_MS counts as a dead link.
import type { Socket } from 'node:net';
import { sleep } from '../client/backoff.ts';
import { authLine, dial, type DialOptions } from '../client/dial.ts';
import type { Logger } from '../logger.ts';
import { SILENCE_MS } from './follower.ts';
import type { Participant } from './participants.ts';
import { RECONNECT, supervise } from './supervisor.ts';

const POLL_MS = 1000;

export class PeerLink {
  /** Reachable (its last LOGS answered in time); null until the first attempt has ended. */
  up: boolean | null = null;
  /** The logs it holds, with their heads, as of its last LOGS; null: a copy that is no source (diverged). */
  heads: ReadonlyMap<string, number | null> = new Map();
  private readonly controller = new AbortController();
  private running: Promise<void> = Promise.resolve();

  constructor(
    readonly participant: Participant,
    /** This node's token and TLS settings. */
    private readonly dialOptions: DialOptions,
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

  /** One connection: LOGS every second until it fails. */
  private async poll(signal: AbortSignal): Promise<'progressed' | 'failed'> {
    const conn = new LineConnection(this.participant.host, this.participant.port, this.dialOptions, signal);
    let answered = false;
    try {
      // With a token, the first request is `AUTH` + `LOGS`: the `OK` is one more line, ignored.
      for (let auth = authLine(this.dialOptions.token); !signal.aborted; auth = '') {
        const lines = await conn.request(auth + 'LOGS\n', SILENCE_MS);
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
    if (this.up !== up) this.logger(up ? `peer ${name} up at ${host}:${port}` : `peer ${name} down at ${host}:${port}: ${why}`);
    this.up = up;
    this.onUpdate(this);
  }
}

/** `LOG <name> <role> <first-id> <head> ...` lines -> name -> head (null for a diverged copy). */
function parseLogs(lines: string[]): Map<string, number | null> {
  const heads = new Map<string, number | null>();
  for (const line of lines) {
    const words = line.split(' ');
    if (words[0] === 'LOG' && words.length >= 5) heads.set(words[1], words.includes('state=diverged') ? null : Number(words[4]));
  }
  return heads;
}

/** A connection for commands whose reply is lines up to `END`; an `ERR` line is an error. */
class LineConnection {
  private readonly socket: Socket;
  private text = '';
  private lines: string[] = [];
  private waiter: { resolve: (lines: string[]) => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly onAbort = () => this.fail(new Error('stopped'));

  constructor(
    host: string,
    port: number,
    options: DialOptions,
    private readonly signal: AbortSignal,
  ) {
    this.socket = dial(host, port, options.tls, () => {});
    this.socket.setEncoding('latin1');
    this.socket.on('data', (data: string) => this.onData(data));
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

  private onData(data: string): void {
    this.text += data;
    let lf: number;
    while ((lf = this.text.indexOf('\n')) >= 0) {
      const line = this.text.slice(0, lf).replace(/\r$/, '');
      this.text = this.text.slice(lf + 1);
      if (line === 'END' || line.startsWith('ERR ')) {
        const waiter = this.waiter;
        this.waiter = null;
        const lines = this.lines;
        this.lines = [];
        if (line === 'END') waiter?.resolve(lines);
        else waiter?.reject(new Error(line));
      } else {
        this.lines.push(line);
      }
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.socket.destroy();
    this.waiter?.reject(err);
    this.waiter = null;
  }
}
