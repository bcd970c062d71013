// Gathers the appends that arrive in one turn of the event loop (a pipelined burst of MSGs, APPENDs
// from many connections) into one storage append per log: one disk write, one fsync. The storage
// layer's group commit then merges turns that arrive while a write is in flight.
import type { Log } from '../storage/log.ts';

/** Called with the ids of one caller's records, or with the error that failed the batch. */
export type AppendDone = (err: unknown, first: number, last: number) => void;

/** A batch this large goes to storage at once instead of waiting for the end of the turn. */
const EAGER_FLUSH_BYTES = 4 * 1024 * 1024;

interface Batch {
  payloads: Buffer[];
  bytes: number;
  /** Per caller: how many payloads it added, and its callback. */
  counts: number[];
  callbacks: AppendDone[];
}

export class Appender {
  private batches = new Map<Log, Batch>();
  private scheduled = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly onAppended: (records: number, bytes: number) => void) {}

  add(log: Log, payloads: Buffer | Buffer[], done: AppendDone): void {
    let batch = this.batches.get(log);
    if (!batch) this.batches.set(log, (batch = { payloads: [], bytes: 0, counts: [], callbacks: [] }));
    if (Array.isArray(payloads)) {
      for (const p of payloads) {
        batch.payloads.push(p);
        batch.bytes += p.length;
      }
      batch.counts.push(payloads.length);
    } else {
      batch.payloads.push(payloads);
      batch.bytes += payloads.length;
      batch.counts.push(1);
    }
    batch.callbacks.push(done);
    if (batch.bytes >= EAGER_FLUSH_BYTES) {
      this.batches.delete(log);
      this.write(log, batch);
    } else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Resolves when every append handed to storage so far has completed. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.batches.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.batches;
    this.batches = new Map();
    for (const [log, batch] of batches) this.write(log, batch);
  }

  private write(log: Log, batch: Batch): void {
    this.inFlight++;
    log.append(batch.payloads).then(
      (ids) => {
        this.onAppended(batch.payloads.length, batch.bytes);
        let id = ids.first;
        for (let i = 0; i < batch.callbacks.length; i++) {
          const n = batch.counts[i];
          batch.callbacks[i](null, id, id + n - 1);
          id += n;
        }
        this.settled();
      },
      (err: unknown) => {
        for (const done of batch.callbacks) done(err, 0, 0);
        this.settled();
      },
    );
  }

  private settled(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.batches.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
