// Sends the queue to the server, one APPEND batch at a time, and records each acknowledged line
// in the state file. When the server is down it reconnects with backoff; the queue (bounded)
// waits, and the tailer stops reading once it is full.
// Batches of the data log are conditional appends (APPEND <log>@<next-id>), claiming the ids
// right after `lastId`, so a batch can only ever be stored there. A conflict means that ids were
// taken since: by a batch of ours whose acknowledgement was lost (the connection or logtail died
// in between; the records there equal the next queued lines), or by another writer. Ours are
// acknowledged instead of sent again; then the next batch claims the log's next id, and that id
// is saved in the state file before the batch goes out, so that a restart knows where it landed.
import { isRetryable, LogdError } from '../../protocol/errors.ts';
import { Retry, type BackoffOptions } from '../../src/wire/backoff.ts';
import { ConflictError, connect, type Client, type ConnectOptions } from '../../src/client/index.ts';
import { OutageNotice } from '../outage.ts';
import type { Entry, EntryQueue } from './queue.ts';
import { saveState, type TailState } from './state.ts';

export interface ShipperOptions extends BackoffOptions {
  server: ConnectOptions;
  /** The data log (the status log's entries are not reconciled). */
  log: string;
  queue: EntryQueue;
  statePath: string;
  /** The state loaded at start; null on a first start. */
  state: TailState | null;
  batchRecords: number;
  batchBytes: number;
  /** Called when entries left the queue (the tailer may read again). */
  onProgress: () => void;
  /** One line per outage (its start) and one when the server takes lines again. */
  onNotice: (line: string) => void;
}

/** How long reconciliation waits for the tailer to queue the lines it compares with. */
const RECONCILE_WAIT_MS = 1000;

export class Shipper {
  private client: Client | null = null;
  /** The id before the one the next data batch claims; null until known (first start: the head). */
  private lastId: number | null;
  /** The file position of the last acknowledged line; null before any (first start). */
  private position: { ino: number; offset: number } | null;
  private readonly abort = new AbortController();

  constructor(private readonly opts: ShipperOptions) {
    this.lastId = opts.state?.lastId ?? null;
    this.position = opts.state ? { ino: opts.state.ino, offset: opts.state.offset } : null;
  }

  /**
   * Ships until stop(); rejects with the LogdError of a refusal that retrying cannot change
   * (nolog, readonly, auth, ...): the lines not acknowledged are read again at the next start.
   */
  async run(): Promise<void> {
    const { queue } = this.opts;
    const { signal } = this.abort;
    const outage = new OutageNotice(this.opts.onNotice);
    const retry = new Retry(this.opts);
    while (!signal.aborted) {
      await queue.nonEmpty();
      if (signal.aborted) break;
      try {
        const client = await this.connected();
        const batch = queue.batch(this.opts.batchRecords, this.opts.batchBytes);
        const log = batch[0].log;
        const expect = log === this.opts.log ? this.lastId! + 1 : undefined;
        try {
          const { last } = await client.append(
            log,
            batch.map((e) => e.payload),
            { expect },
          );
          queue.shift(batch.length);
          this.acknowledged(batch, last);
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          await this.reconcile(client, err.nextId);
        }
        outage.succeeded('shipping');
        retry.progressed();
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof LogdError && !isRetryable(err.code)) {
          this.dropClient();
          throw err;
        }
        if (!(err instanceof LogdError)) this.dropClient();
        outage.failed(err);
        await retry.failed(signal);
      }
    }
  }

  stop(): void {
    this.abort.abort();
    this.opts.queue.wake();
    this.dropClient();
  }

  private async connected(): Promise<Client> {
    if (this.client?.isOpen) return this.client;
    this.dropClient();
    const client = await connect(this.opts.server);
    try {
      this.lastId ??= await client.head(this.opts.log);
    } catch (err) {
      client.destroy();
      throw err;
    }
    this.client = client;
    return client;
  }

  /**
   * After a conflict (the log's next id is `next`): the records from lastId + 1 that equal the
   * next queued lines, in order, are a batch of ours stored before its acknowledgement was lost
   * (it could only land right after lastId): acknowledged now. The rest belong to other writers.
   */
  private async reconcile(client: Client, next: number): Promise<void> {
    const { queue, log } = this.opts;
    const from = this.lastId! + 1;
    let i = 0; // queue position of the next line of the data log to compare
    let matched: Entry | null = null;
    if (next > from) {
      for await (const record of client.read(log, from, { limit: next - from })) {
        i = await this.lineAt(i);
        if (i < 0 || !queue.at(i).payload.equals(record.payload)) break;
        matched = queue.at(i);
        queue.remove(i);
      }
    }
    if (matched) this.position = { ino: matched.ino!, offset: matched.end };
    this.lastId = next - 1;
    this.save();
    if (matched) this.opts.onProgress();
  }

  /** The queue position of the first data-log line at or after i, waiting a little for the tailer; -1 if none comes. */
  private async lineAt(i: number): Promise<number> {
    const { queue, log } = this.opts;
    for (;;) {
      while (i < queue.length && queue.at(i).log !== log) i++;
      if (i < queue.length) return i;
      const before = queue.length;
      await queue.pushed(RECONCILE_WAIT_MS);
      if (queue.length === before) return -1;
    }
  }

  private acknowledged(batch: [Entry, ...Entry[]], last: number): void {
    const line = batch[batch.length - 1]!;
    if (line.ino !== null) {
      this.lastId = last;
      this.position = { ino: line.ino, offset: line.end };
      this.save();
    }
    this.opts.onProgress();
  }

  /** Saves the position and lastId (once a line was acknowledged: before that there is no position). */
  private save(): void {
    if (this.position) saveState(this.opts.statePath, { ...this.position, lastId: this.lastId! });
  }

  private dropClient(): void {
    this.client?.destroy();
    this.client = null;
  }
}
