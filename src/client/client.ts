// The client: one pipelined connection for commands, plus dedicated connections for the
// long-lived streams (follow, consumers, materialized views), which must not hold up the
// command replies queued behind them.
import type { LogdError } from '../../protocol/errors.ts';
import { parseLogLine } from '../../protocol/replies.ts';
import { Connection, type ConnectOptions, type ReplyHandler } from './connection.ts';
import { Consumer, type ConsumerOptions } from './consumer.ts';
import { follow, type FollowOptions } from './follow.ts';
import { materialize, type Materialized, type Reducer } from './materialize.ts';
import { ReadStream } from './read-stream.ts';
import { atCaller, clientError, ConnectionError, replyError } from './reply-error.ts';
import { encodeAppend, encodeMsg, target, type Payload } from './requests.ts';
import { Subscription } from './subscription.ts';
import { NotReplicatedError, type AppendOptions, type ConsumerInfo, type LogInfo, type LogRecord, type ReadOptions, type ReplicaOptions } from './types.ts';

export type { Payload } from './requests.ts';

/** Connects (and authenticates when a token is given); `reconnect: true` keeps it connected. */
export async function connect(opts: ConnectOptions = {}): Promise<Client> {
  return new Client(await Connection.open(opts, opts.reconnect), { ...opts });
}

export class Client {
  private readonly subscriptions = new Set<Subscription>();
  /** How many subscriptions want each log: UNSUBSCRIBE only what nobody wants any more. */
  private readonly subscribed = new Map<string, number>();

  constructor(
    private readonly conn: Connection,
    /** Where this client connects; its extra connections use the same. */
    readonly options: Readonly<ConnectOptions>,
  ) {
    conn.onPush = (log, id) => {
      for (const sub of this.subscriptions) if (sub.logs.includes(log)) sub.pushed(log, id);
    };
    // A replaced connection (reconnect) knows nothing of our subscriptions: renew them.
    conn.onReconnect = () => {
      if (this.subscribed.size > 0) void this.conn.request(`SUBSCRIBE ${[...this.subscribed.keys()].join(' ')}\n`).catch(() => undefined);
    };
    void conn.closed.then(() => {
      const err = new ConnectionError('ECLOSED', 'connection closed');
      for (const sub of this.subscriptions) sub.emit('close', err);
      this.subscriptions.clear();
    });
  }

  /** False once the connection has closed or failed. */
  get isOpen(): boolean {
    return this.conn.isOpen;
  }

  async ping(): Promise<void> {
    await this.conn.request('PING\n');
  }

  /**
   * Appends the payloads atomically with consecutive ids (APPEND); binary-safe. With `expect`,
   * only if the log's next id is `expect` (else a ConflictError carrying the next id, nothing stored).
   */
  async append(log: string, payloads: readonly Payload[], opts: AppendOptions = {}): Promise<{ first: number; last: number }> {
    if (payloads.length === 0) throw clientError('syntax', 'append needs at least one payload');
    const reply = await this.conn.request(encodeAppend(target(log, opts), payloads));
    const [, first, last] = reply.split(' ');
    return { first: number(first, reply), last: number(last, reply) };
  }

  /**
   * Appends one record with MSG: non-empty text without line breaks. Returns its id. With
   * `expect`, only if the log's next id is `expect` (else a ConflictError carrying the next id):
   * resending it after a lost reply stores the record once at most. With `replicas`, it then
   * waits (WAIT) until that many other participants have stored it, and throws
   * NotReplicatedError (the record is written) if fewer had after `timeoutMs`.
   */
  async msg(log: string, text: Payload, opts: AppendOptions & ReplicaOptions = {}): Promise<number> {
    const id = okId(await this.conn.request(encodeMsg(target(log, opts), text)));
    if (opts.replicas) {
      const k = await this.wait(log, id, opts.replicas, opts.timeoutMs ?? 0);
      if (k < opts.replicas) throw new NotReplicatedError(log, id, k, opts.replicas);
    }
    return id;
  }

  /**
   * On the log's writer: resolves with the number of other participants that have stored `id`
   * or beyond, as soon as it reaches `replicas`, or when `timeoutMs` passed (0: no timeout).
   * Like Redis WAIT, it holds the commands sent after it on this connection until it answers.
   */
  async wait(log: string, id: number, replicas: number, timeoutMs = 0): Promise<number> {
    return okId(await this.conn.request(`WAIT ${log} ${id} ${replicas} ${timeoutMs}\n`));
  }

  /**
   * The id of the first record whose timestamp is at or after `time` (ms since the epoch, a Date,
   * or an ISO 8601 string); head + 1 when there is none.
   */
  async seek(log: string, time: number | Date | string): Promise<number> {
    const when = time instanceof Date ? time.getTime() : time;
    return okId(await this.conn.request(`SEEK ${log} ${when}\n`));
  }

  /** The consumers with a stored checkpoint (on one log when named), with their lag. */
  async consumers(log?: string): Promise<ConsumerInfo[]> {
    const lines = await this.list(log === undefined ? 'CONSUMERS\n' : `CONSUMERS ${log}\n`);
    return lines.map((line) => {
      const [, name, logName, checkpoint, lag] = line.split(' ');
      if (lag === undefined) throw unexpectedReply(line);
      return { name: name!, log: logName!, checkpoint: number(checkpoint, line), lag: number(lag, line) };
    });
  }

  /** The last id of the log (0 when empty). */
  async head(log: string): Promise<number> {
    return okId(await this.conn.request(`HEAD ${log}\n`));
  }

  /**
   * Fetches (no id) or stores a consumer's durable position in a log; returns it. The server
   * refuses an id past the head, and one below the stored position unless `reset`.
   */
  async checkpoint(consumer: string, log: string, id?: number, opts: { reset?: boolean } = {}): Promise<number> {
    const args = id === undefined ? '' : ` ${id}${opts.reset ? ' RESET' : ''}`;
    return okId(await this.conn.request(`CHECKPOINT ${consumer} ${log}${args}\n`));
  }

  /** Deletes the whole chunks below `before`; returns the first retained id. */
  async trim(log: string, before: number): Promise<number> {
    return okId(await this.conn.request(`TRIM ${log} ${before}\n`));
  }

  /** Stops this node's writes to a log it writes (REFUSE, failover); durable once resolved. */
  async refuse(log: string): Promise<void> {
    await this.conn.request(`REFUSE ${log}\n`);
  }

  /** Makes this node the log's writer again, or from its replica's head + 1 (ACCEPT, failover). */
  async accept(log: string): Promise<void> {
    await this.conn.request(`ACCEPT ${log}\n`);
  }

  async logs(): Promise<LogInfo[]> {
    const lines = await this.list('LOGS\n');
    return lines.map((line) => {
      const { name, role, first, head, extras } = parseLogLine(line);
      return { name, role, first: number(first, line), head: number(head, line), attrs: extras };
    });
  }

  /** Every STAT line as name -> value. */
  async stats(): Promise<Record<string, string>> {
    const stats: Record<string, string> = {};
    for (const line of await this.list('STATS\n')) {
      const [, name, value] = line.split(' ');
      if (value === undefined) throw unexpectedReply(line);
      stats[name!] = value;
    }
    return stats;
  }

  /**
   * The records from `start` (an id, or '$' for after the head): by default up to the current
   * head; see ReadOptions. Sent at once (pipelined); commands sent later are answered after the
   * stream ends, so iterate it or end it with return() (a `break` does).
   */
  read(log: string, start: number | '$', opts: ReadOptions = {}): ReadStream {
    const limit = opts.limit ?? 0;
    const wait = opts.waitMs !== undefined || (opts.wait ?? false);
    const until = opts.waitMs !== undefined ? ` WAIT ${opts.waitMs}` : wait ? '' : ' NOWAIT';
    const stream = new ReadStream(this.conn, log, wait);
    this.conn.send(`READ ${log} ${start} ${limit}${until}\n`, stream);
    return stream;
  }

  /** Every record from `start` on, live, surviving disconnects: see follow.ts. Own connection. */
  follow(log: string, start: number | '$' | { consumer: string }, opts: FollowOptions = {}): AsyncGenerator<LogRecord, void, undefined> {
    return follow(this.options, log, start, opts);
  }

  /** Head events for the logs (SUBSCRIBE); resolves once the server has accepted them. */
  async subscribe(logs: readonly string[]): Promise<Subscription> {
    if (logs.length === 0) throw clientError('syntax', 'subscribe needs at least one log');
    const sub = new Subscription([...logs], (s) => this.unsubscribe(s));
    this.subscriptions.add(sub);
    try {
      await this.conn.request(`SUBSCRIBE ${logs.join(' ')}\n`);
    } catch (err) {
      this.subscriptions.delete(sub);
      throw err;
    }
    for (const log of logs) this.subscribed.set(log, (this.subscribed.get(log) ?? 0) + 1);
    return sub;
  }

  /** A checkpointed consumer: see consumer.ts for its delivery guarantee. */
  consumer(opts: ConsumerOptions): Consumer {
    return new Consumer(this.options, opts);
  }

  /** The log folded into a state, kept up to date live; resolves once it has caught up with the head. */
  async materialize<S>(log: string, reducer: Reducer<S>, initial: S): Promise<Materialized<S>> {
    return materialize(this.options, log, await this.head(log), reducer, initial);
  }

  /** Says CLOSE and waits for the server to close the connection. */
  close(): Promise<void> {
    return this.conn.close();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.conn.destroy();
  }

  private async unsubscribe(sub: Subscription): Promise<void> {
    if (!this.subscriptions.delete(sub)) return;
    const unwanted: string[] = [];
    for (const log of sub.logs) {
      const count = (this.subscribed.get(log) ?? 1) - 1;
      if (count > 0) this.subscribed.set(log, count);
      else {
        this.subscribed.delete(log);
        unwanted.push(log);
      }
    }
    if (unwanted.length > 0 && this.conn.isOpen) await this.conn.request(`UNSUBSCRIBE ${unwanted.join(' ')}\n`);
  }

  /** A command answered by lines up to `END` (LOGS, STATS). */
  private async list(command: string): Promise<string[]> {
    return await new Promise<string[]>((resolve, reject) => {
      const lines: string[] = [];
      const handler: ReplyHandler = {
        line(text) {
          const err = replyError(text);
          if (err) reject(err);
          else if (text === 'END') resolve(lines);
          else {
            lines.push(text);
            return false;
          }
          return true;
        },
        fail: reject,
      };
      this.conn.send(command, handler);
    }).catch((err: Error) => {
      throw atCaller(err);
    });
  }
}

function okId(reply: string): number {
  return number(reply.split(' ')[1], reply);
}

function number(text: string | undefined, reply: string): number {
  const n = Number(text);
  if (text === undefined || text === '' || !Number.isSafeInteger(n)) throw unexpectedReply(reply);
  return n;
}

function unexpectedReply(reply: string): LogdError {
  return clientError('internal', `unexpected reply from server: ${reply.slice(0, 80)}`);
}
