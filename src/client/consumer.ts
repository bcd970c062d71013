// A checkpointed consumer: iterate it to get the records of a log after its last committed
// position; it commits its progress with CHECKPOINT <name> <log> <id>.
//
// Delivery guarantee (at least once, in order, no gaps):
// - On start the consumer reads with `READ <log> @<name>`: the server starts after the stored
//   position P (the last committed id, 0 if none), and the consumer delivers P+1, P+2, ... in
//   id order with no gap and no repeat within one run, live, across disconnects and server
//   restarts (see follow.ts).
// - A record counts as processed once the loop asks for the next record, i.e. the body of
//   `for await` for it has finished without break or throw; or when commit(id) names it.
//   The record in hand when the loop is left by break/throw is NOT processed.
// - The last processed id is committed every `commitEvery` records, every `commitIntervalMs`,
//   on commit(), and on close() or the end of iteration. The server stores it durably before
//   it acknowledges (the commit's promise resolves).
// - So every record after the last successful commit is delivered again after a crash of the
//   consumer, of its connection or of the server: at most `commitEvery` - 1 records plus those
//   processed in the last `commitIntervalMs`, plus the one in hand. A record is never skipped:
//   no id is committed before its processing finished. For exactly-once effects, make the
//   processing idempotent (e.g. remember the id applied last alongside the effect).
// A periodic commit that fails (server down) is retried at the next one: it only widens the
// window of redelivery (onError is told). The commit of close() throws if it fails.
import { Connection, type ConnectOptions } from './connection.ts';
import { follow } from './follow.ts';
import type { BackoffOptions } from '../wire/backoff.ts';
import type { LogRecord } from './types.ts';

export interface ConsumerOptions extends BackoffOptions {
  /** The consumer's name: its position is stored under (name, log). */
  name: string;
  log: string;
  /** Commit after this many processed records (default 100). */
  commitEvery?: number;
  /** Commit at least this often while records are processed (default 1000 ms). */
  commitIntervalMs?: number;
  /** Told about periodic commits that failed (they are retried at the next one). */
  onError?: (err: Error) => void;
}

export class Consumer implements AsyncIterable<LogRecord> {
  readonly name: string;
  readonly log: string;
  private committedId = 0;
  private processedId = 0;
  private deliveredId = 0;
  private control: Promise<Connection> | null = null;
  private commits: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(
    private readonly server: ConnectOptions,
    private readonly opts: ConsumerOptions,
  ) {
    this.name = opts.name;
    this.log = opts.log;
  }

  /** The last id the server has stored for this consumer (known once the first record came). */
  get committed(): number {
    return this.committedId;
  }

  /** The last id processed (committed or about to be). */
  get processed(): number {
    return this.processedId;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<LogRecord, void, undefined> {
    if (this.started) throw new Error(`consumer ${this.name} is already being iterated`);
    this.started = true;
    const commitEvery = this.opts.commitEvery ?? 100;
    this.timer = setInterval(() => this.commit().catch((err: Error) => this.opts.onError?.(err)), this.opts.commitIntervalMs ?? 1000);
    this.timer.unref();
    try {
      for await (const record of follow(this.server, this.log, { consumer: this.name }, { ...this.opts, signal: this.abort.signal })) {
        // The first record tells where the server started: right after the stored position.
        if (this.deliveredId === 0) this.committedId = this.processedId = record.id - 1;
        this.deliveredId = record.id;
        yield record;
        this.processedId = record.id;
        if (this.processedId - this.committedId >= commitEvery) await this.commit();
      }
    } finally {
      clearInterval(this.timer);
      // Leaving the loop must not throw; close() commits again and reports a failure.
      await this.commit().catch((err: Error) => this.opts.onError?.(err));
    }
  }

  /**
   * Stores the last processed id now. With `id` (at most the last delivered one), first marks
   * the records up to it as processed: use it to acknowledge the record in hand before leaving
   * the loop.
   */
  commit(id?: number): Promise<void> {
    if (id !== undefined && id > this.processedId) this.processedId = Math.min(id, this.deliveredId);
    this.commits = this.commits.catch(() => undefined).then(() => this.store());
    return this.commits;
  }

  /** Ends the iteration, commits what was processed, and closes the connections. */
  async close(): Promise<void> {
    this.abort.abort();
    clearInterval(this.timer);
    try {
      await this.commit();
    } finally {
      const control = await this.control?.catch(() => null);
      await control?.close();
      this.control = null;
    }
  }

  private async store(): Promise<void> {
    const id = this.processedId;
    if (id <= this.committedId) return;
    await this.request(`CHECKPOINT ${this.name} ${this.log} ${id}\n`);
    this.committedId = Math.max(this.committedId, id);
  }

  /** One command on the consumer's own control connection, reopened after a failure. */
  private async request(line: string): Promise<string> {
    let conn = await this.control?.catch(() => null);
    if (!conn?.isOpen) {
      this.control = Connection.open(this.server);
      conn = await this.control;
    }
    return conn.request(line);
  }
}
