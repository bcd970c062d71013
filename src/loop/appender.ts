// Gathers the appends that arrive in one turn of the event loop (a pipelined burst of MSGs, the
// commands of every connection that had data in this turn) and hands them to storage in arrival
// order after the turn's I/O (setImmediate), where they share one disk write and one fsync. A run of MSGs becomes one storage call whose
// records stand alone (atomic = false); each APPEND stays one atomic call, all or none. A
// conditional append (MSG or APPEND with `@<next-id>`) is a call of its own: storage checks its
// expected id when its round assigns ids, and a conflict refuses that call alone.
// Hot path: no closure or promise per command; each caller is just its reply slot.
import type { RecordPayload } from '../../protocol/pieces.ts';
import { okId, okRange } from '../../protocol/replies.ts';
import type { Log } from '../storage/log.ts';
import type { ReplySlot } from './session.ts';

/** A log's pending appends this large go to storage at once instead of waiting for the end of the turn. */
const EAGER_FLUSH_BYTES = 4 * 1024 * 1024;

/** One storage call: MSGs gathered (not atomic), or one APPEND (atomic). */
interface Segment {
  payloads: RecordPayload[];
  atomic: boolean;
  /** The expected next id of a conditional append, 0 for none. */
  expect: number;
  /** Per caller: its reply slot, and how many records it added (0: one record from MSG). */
  slots: ReplySlot[];
  counts: number[];
  /** Payload bytes. */
  bytes: number;
}

interface Pending {
  segments: Segment[];
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
   * MSG (one payload: replies `OK <id>`) or APPEND (an array: replies `OK <first> <last>`).
   * `expect` > 0: only if the log's next id is that when its turn comes (else `ERR conflict`).
   */
  add(log: Log, payloads: RecordPayload | Buffer[], slot: ReplySlot, expect = 0): void {
    let pending = this.pending.get(log);
    if (!pending) this.pending.set(log, (pending = { segments: [], bytes: 0 }));
    const segments = pending.segments;
    if (Array.isArray(payloads)) {
      let bytes = 0;
      for (const p of payloads) bytes += p.length;
      segments.push({ payloads, atomic: true, expect, slots: [slot], counts: [payloads.length], bytes });
      pending.bytes += bytes;
    } else if (expect !== 0) {
      segments.push({ payloads: [payloads], atomic: true, expect, slots: [slot], counts: [0], bytes: payloads.length });
      pending.bytes += payloads.length;
    } else {
      let run = segments[segments.length - 1];
      if (!run || run.atomic) segments.push((run = { payloads: [], atomic: false, expect: 0, slots: [], counts: [], bytes: 0 }));
      run.payloads.push(payloads);
      run.slots.push(slot);
      run.counts.push(0);
      run.bytes += payloads.length;
      pending.bytes += payloads.length;
    }
    if (pending.bytes >= EAGER_FLUSH_BYTES) {
      this.pending.delete(log);
      this.write(log, segments);
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
    for (const [log, { segments }] of pending) this.write(log, segments);
  }

  private write(log: Log, segments: Segment[]): void {
    for (const segment of segments) {
      this.inFlight++;
      log.append(segment.payloads, segment.atomic, segment.expect).then(
        (ids) => {
          const { slots, counts } = segment;
          this.stored.recordsIn += segment.payloads.length;
          this.stored.bytesIn += segment.bytes;
          let id = ids.first;
          for (let i = 0; i < slots.length; i++) {
            const n = counts[i]!;
            const slot = slots[i]!;
            if (n === 0) {
              slot.send(okId(id++));
            } else {
              slot.send(okRange(id, id + n - 1));
              id += n;
            }
          }
          this.settled();
        },
        (err: unknown) => {
          const line = this.errorReply(err);
          for (const slot of segment.slots) slot.send(line);
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
