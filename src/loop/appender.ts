// Gathers the appends that arrive in one turn of the event loop (a pipelined burst of MSGs, APPENDs
// from many connections) into one storage append per log: one disk write, one fsync. The storage
// layer's group commit then merges turns that arrive while a write is in flight.
// Hot path: no closure or promise per command; each caller is just its reply slot.
import { okId, okRange } from '../../protocol/replies.ts';
import type { Log } from '../storage/log.ts';
import type { ReplySlot } from './session.ts';

/** A batch this large goes to storage at once instead of waiting for the end of the turn. */
const EAGER_FLUSH_BYTES = 4 * 1024 * 1024;

interface Batch {
  payloads: Buffer[];
  bytes: number;
  /** Per caller: its reply slot, and how many records it added (0: one record from MSG). */
  slots: ReplySlot[];
  counts: number[];
}

export class Appender {
  private batches = new Map<Log, Batch>();
  private scheduled = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  /** errorReply: the `ERR` line for a failed append (and counting it). */
  constructor(private readonly errorReply: (err: unknown) => string) {}

  /** MSG (one payload: replies `OK <id>`) or APPEND (an array: replies `OK <first> <last>`). */
  add(log: Log, payloads: Buffer | Buffer[], slot: ReplySlot): void {
    let batch = this.batches.get(log);
    if (!batch) this.batches.set(log, (batch = { payloads: [], bytes: 0, slots: [], counts: [] }));
    if (Array.isArray(payloads)) {
      for (const p of payloads) {
        batch.payloads.push(p);
        batch.bytes += p.length;
      }
      batch.counts.push(payloads.length);
    } else {
      batch.payloads.push(payloads);
      batch.bytes += payloads.length;
      batch.counts.push(0);
    }
    batch.slots.push(slot);
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
        const { slots, counts } = batch;
        let id = ids.first;
        for (let i = 0; i < slots.length; i++) {
          const n = counts[i];
          if (n === 0) {
            slots[i].send(okId(id++));
          } else {
            slots[i].send(okRange(id, id + n - 1));
            id += n;
          }
        }
        this.settled();
      },
      (err: unknown) => {
        const line = this.errorReply(err);
        for (const slot of batch.slots) slot.send(line);
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
