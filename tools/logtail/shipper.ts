// Sends the queue to the server, one APPEND batch at a time, and records each acknowledged line
// in the state file. When the server is down it reconnects with backoff; the queue (bounded)
// waits, and the tailer stops reading once it is full.
// After every (re)connection it first reconciles: records after the last acknowledged id that
// equal the next queued lines were stored by a batch whose acknowledgement was lost (the
// connection or logtail died in between), so they are acknowledged now instead of sent again.
import { isRetryable, LogdError } from '../../protocol/errors.ts';
import { backoffDelay, sleep, type BackoffOptions } from '../../src/client/backoff.ts';
import { connect, type Client, type ConnectOptions } from '../../src/client/index.ts';
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
  /** The last id accounted for in the data log; null until known (first start: the head). */
  private lastId: number | null;
  private readonly abort = new AbortController();

  constructor(private readonly opts: ShipperOptions) {
    this.lastId = opts.state?.lastId ?? null;
  }

  /**
   * Ships until stop(); rejects with the LogdError of a refusal that retrying cannot change
   * (nolog, readonly, auth, ...): the lines not acknowledged are read again at the next start.
   */
  async run(): Promise<void> {
    const { queue } = this.opts;
    const { signal } = this.abort;
    const outage = new OutageNotice(this.opts.onNotice);
    while (!signal.aborted) {
      await queue.nonEmpty();
      if (signal.aborted) break;
      try {
        const client = await this.connected();
        const batch = queue.batch(this.opts.batchRecords, this.opts.batchBytes);
        const { last } = await client.append(batch[0].log, batch.map((e) => e.payload));
        queue.shift(batch.length);
        this.acknowledged(batch, last);
        outage.succeeded('shipping');
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof LogdError && !isRetryable(err.code)) {
          this.dropClient();
          throw err;
        }
        if (!(err instanceof LogdError)) this.dropClient();
        outage.failed(err);
        await sleep(backoffDelay(outage.attempts - 1, this.opts), signal);
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
      await this.reconcile(client);
    } catch (err) {
      client.destroy();
      throw err;
    }
    this.client = client;
    return client;
  }

  private async reconcile(client: Client): Promise<void> {
    const head = await client.head(this.opts.log);
    const lastId = this.lastId;
    this.lastId = head;
    if (lastId === null || head <= lastId) return;
    const { queue, log } = this.opts;
    let i = 0; // queue position of the next line of the data log to compare
    let matched: Entry | null = null;
    let matchedId = 0;
    for await (const record of client.read(log, lastId + 1, { limit: head - lastId })) {
      i = await this.lineAt(i);
      if (i < 0 || !queue.at(i).payload.equals(record.payload)) break;
      matched = queue.at(i);
      matchedId = record.id;
      queue.remove(i);
    }
    if (matched) {
      this.save(matched, matchedId);
      this.opts.onProgress();
    }
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

  private acknowledged(batch: Entry[], last: number): void {
    const line = batch[batch.length - 1];
    if (line.ino !== null) {
      this.lastId = last;
      this.save(line, last);
    }
    this.opts.onProgress();
  }

  private save(line: Entry, lastId: number): void {
    saveState(this.opts.statePath, { ino: line.ino!, offset: line.end, lastId });
  }

  private dropClient(): void {
    this.client?.destroy();
    this.client = null;
  }
}
