// READ as a stream: stored frames go to the client as they are, a bounded range at a time, and only
// while the client keeps up (backpressure); at the head it waits for new records unless NOWAIT.
// `@<consumer>` starts after that consumer's checkpoint (read when the stream starts); WAIT <ms>
// ends the stream with END after at most ms, like STOP.
import { endAt } from '../../protocol/replies.ts';
import type { LoopContext } from './context.ts';
import { readFailure, refusal } from './failure.ts';
import type { Stream, StreamSink } from './session.ts';

/**
 * Bytes read from disk per step: small at first and after the client stalled, so a stalled
 * client holds little memory; doubling while the client keeps up, for throughput. A client that
 * is merely slower than the disk (a short wait for its socket to drain) keeps the step it had.
 * All streams share READ_BUDGET: with many, each step stays small, so the memory a crowd of
 * stalled readers (READ or REPLICATE) holds is bounded by the budget, not by their number.
 */
const MIN_READ_BYTES = 64 * 1024;
const MAX_READ_BYTES = 1024 * 1024;
const READ_BUDGET = 64 * 1024 * 1024;
/** A wait for the client longer than this counts as a stall. */
const STALL_MS = 100;
const READ_RECORDS = 16384;

export class RecordStream implements Stream {
  private sink: StreamSink | null = null;
  private next = 0;
  private remaining: number;
  private step = MIN_READ_BYTES;
  private busy = false;
  private stopped = false;
  private started = false;
  private finished = false;
  private unwatch: (() => void) | null = null;
  private waitTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: LoopContext,
    private readonly log: string,
    private readonly start_: number | '$' | { consumer: string },
    limit: number,
    private nowait: boolean,
    /** Counts what was sent (records, frame bytes): STATS for READ, the replication counters for REPLICATE. */
    private readonly sent: (records: number, bytes: number) => void,
    /** WAIT <ms>: the longest the stream runs; -1 for no bound. */
    private readonly waitMs = -1,
  ) {
    this.remaining = limit === 0 ? Infinity : limit;
  }

  start(sink: StreamSink): void {
    this.sink = sink;
    const from = this.start_;
    this.next = from === '$' ? this.ctx.logs.head(this.log) + 1 : typeof from === 'number' ? from : this.ctx.store.checkpoint(from.consumer, this.log) + 1;
    const first = this.ctx.logs.first(this.log);
    if (this.next < first) {
      return this.finish(refusal(this.ctx, 'gone', String(first)));
    }
    if (this.stopped) return this.finish(endAt(this.next));
    this.started = true;
    this.ctx.stats.streams++;
    if (this.waitMs >= 0) this.waitTimer = setTimeout(() => this.stop(), this.waitMs);
    void this.pump();
  }

  /** The last id sent so far (start - 1 before the first record). */
  get sentUpTo(): number {
    return this.next - 1;
  }

  stop(): void {
    this.stopped = true;
    if (this.sink && !this.busy) this.finish(endAt(this.next));
  }

  endAtHead(): void {
    this.nowait = true;
    if (!this.unwatch) return; // running: it ends when it reaches the head
    this.unwatch();
    this.unwatch = null;
    this.finish(endAt(this.next));
  }

  private async pump(): Promise<void> {
    if (this.busy || this.finished) return;
    this.busy = true;
    const sink = this.sink!;
    try {
      while (!this.stopped && this.remaining > 0) {
        if (!sink.ready) {
          const waitingSince = Date.now();
          sink.onReady(() => {
            if (Date.now() - waitingSince > STALL_MS) this.step = MIN_READ_BYTES;
            void this.pump();
          });
          return;
        }
        const log = this.ctx.logs.get(this.log);
        if (!log || this.next > log.head()) {
          if (this.nowait) break;
          this.waitForHead();
          return;
        }
        const limit = Math.min(this.remaining, READ_RECORDS);
        // Synchronous when the tail cache holds the records (a live follower): no promise per step.
        const read = log.read(this.next, limit, this.step);
        const result = read instanceof Promise ? await read : read;
        if (this.finished) return;
        if (result.count === 0) continue;
        this.step = Math.min(this.step * 2, Math.max(MIN_READ_BYTES, Math.min(MAX_READ_BYTES, READ_BUDGET / this.ctx.stats.streams)));
        sink.write(result.data);
        this.sent(result.count, result.data.length);
        this.next = result.next;
        this.remaining -= result.count;
      }
      this.finish(endAt(this.next));
    } catch (err) {
      this.finish(readFailure(this.ctx, this.log, err));
    } finally {
      this.busy = false;
    }
  }

  private waitForHead(): void {
    this.unwatch = this.ctx.logs.onHead(this.log, (head) => {
      if (head < this.next) return;
      this.unwatch?.();
      this.unwatch = null;
      void this.pump();
    });
  }

  private finish(line: string): void {
    if (this.finished) return;
    this.finished = true;
    if (this.started) this.ctx.stats.streams--;
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.unwatch?.();
    this.unwatch = null;
    this.sink!.end(line);
  }
}
