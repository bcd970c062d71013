// Gathers the appends that arrive in one turn of the event loop (a pipelined burst of MSGs, the
// commands of every connection that had data in this turn) and hands them to storage in arrival
// order after the turn's I/O (setImmediate), where a log's appends share one round (one disk
// write and one fsync). Consecutive MSGs become one batch (one storage call) whose records stand
// alone (atomic = false); each APPEND stays one atomic batch, all or none. A conditional append
// (MSG or APPEND with `@<next-id>`) is a batch of its own: storage checks its expected id when
// its round assigns ids, and a conflict refuses that batch alone.
// Hot path: no closure or promise per command, and one reply per run: a session's consecutive
// MSGs in one batch join the reply of the first (Session.join), answered with one buffer of
// `OK <id>` lines.
import type { RecordPayload } from '../../protocol/pieces.ts';
import { okId, okIds, okRange } from '../../protocol/replies.ts';
import type { Log } from '../storage/log.ts';
import type { ReplySlot, Session } from './session.ts';

/** A log's pending appends this large go to storage at once instead of waiting for the end of the turn. */
const EAGER_FLUSH_BYTES = 4 * 1024 * 1024;

/** One batch (the records of one storage append call): MSGs gathered (not atomic), or one APPEND (atomic). */
interface Batch {
  payloads: RecordPayload[];
  atomic: boolean;
  /** The expected next id of a conditional append, 0 for none. */
  expect: number;
  /** Per reply: its slot, and how many records it answers for. */
  slots: ReplySlot[];
  counts: number[];
  /** MSGs: one `OK <id>` line per record; else (APPEND) one `OK <first> <last>` per slot. */
  perRecord: boolean;
  /** The session of the last slot: its next MSG may join that slot. */
  session: Session | null;
  /** Payload bytes. */
  bytes: number;
}

interface Pending {
  batches: Batch[];
  bytes: number;
}

export class Appender {
  private pending = new Map<Log, Pending>();
  private scheduled = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    /** The `ERR` line for a failed append (and counting it). */
    private readonly errorReply: (err: unknown) => string,
    /** STATS records_in and bytes_in: what was stored, counted when it is acknowledged. */
    private readonly stored: { recordsIn: number; bytesIn: number },
  ) {}

  /**
   * MSG (one payload: replies `OK <id>`) or APPEND (an array: replies `OK <first> <last>`), for
   * the command `session` runs. `slot`: its reply slot if taken already (the log was still being
   * created when it ran), else null: taken here, or joined to the session's previous MSG's.
   * `expect` > 0: only if the log's next id is that when its turn comes (else `ERR conflict`).
   */
  add(log: Log, payloads: RecordPayload | Buffer[], session: Session, slot: ReplySlot | null, expect = 0): void {
    let pending = this.pending.get(log);
    if (!pending) this.pending.set(log, (pending = { batches: [], bytes: 0 }));
    const batches = pending.batches;
    const msg = !Array.isArray(payloads);
    // A plain MSG joins the open batch of MSGs; an APPEND or a conditional MSG is a batch of its own.
    let batch = batches[batches.length - 1];
    if (!msg || expect !== 0 || !batch || batch.atomic) {
      const atomic = !msg || expect !== 0;
      batch = { payloads: msg ? [] : payloads, atomic, expect, slots: [], counts: [], perRecord: msg, session: null, bytes: 0 };
      batches.push(batch);
    }
    const last = batch.slots.length - 1;
    if (slot === null && !batch.atomic && batch.session === session && session.join(batch.slots[last]!)) {
      batch.counts[last]!++;
    } else {
      batch.slots.push(slot ?? session.defer());
      batch.counts.push(msg ? 1 : payloads.length);
      batch.session = session;
    }
    let bytes = 0;
    if (msg) {
      batch.payloads.push(payloads);
      bytes = payloads.length;
    } else {
      for (const p of payloads) bytes += p.length;
    }
    batch.bytes += bytes;
    pending.bytes += bytes;
    if (pending.bytes >= EAGER_FLUSH_BYTES) {
      this.pending.delete(log);
      this.write(log, batches);
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Resolves when every append handed to storage so far has completed. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    for (const [log, { batches }] of pending) this.write(log, batches);
  }

  private write(log: Log, batches: Batch[]): void {
    for (const batch of batches) {
      this.inFlight++;
      log.append(batch.payloads, batch.atomic, batch.expect).then(
        (ids) => {
          const { slots, counts } = batch;
          this.stored.recordsIn += batch.payloads.length;
          this.stored.bytesIn += batch.bytes;
          let id = ids.first;
          for (let i = 0; i < slots.length; i++) {
            const n = counts[i]!;
            if (!batch.perRecord) slots[i]!.send(okRange(id, id + n - 1));
            else slots[i]!.send(n === 1 ? okId(id) : okIds(id, n));
            id += n;
          }
          this.settled();
        },
        (err: unknown) => {
          // One ERR line per command: the commands of a joined reply each get theirs.
          const line = this.errorReply(err);
          for (let i = 0; i < batch.slots.length; i++) batch.slots[i]!.send(batch.perRecord ? line.repeat(batch.counts[i]!) : line);
          this.settled();
        },
      );
    }
  }

  private settled(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.pending.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
