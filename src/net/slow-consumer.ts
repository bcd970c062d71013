// Slow consumers, as nats-server calls them: clients that do not take their output. A stream
// (READ, REPLICATE) simply waits for its client (backpressure); pushes (SUBSCRIBE) cannot wait,
// so while a client's output is blocked they coalesce, and what a server that kept every push
// would have had to buffer for it is counted: past --max-pending the client is disconnected.
// With --write-deadline, a client whose blocked output has not moved for that long is
// disconnected too (a stalled READ or REPLICATE holding a connection). Taking output resets both.

export interface SlowConsumerLimits {
  /** Undelivered push bytes past which the client is disconnected. */
  maxPending: number;
  /** Blocked output that has not moved for this long disconnects the client; 0: never. */
  writeDeadlineMs: number;
}

export class OutputWatch {
  private undelivered = 0;
  private timer: NodeJS.Timeout | null = null;
  private movedAt = 0;

  constructor(
    private readonly limits: SlowConsumerLimits,
    /** Bytes the kernel has taken so far (progress). */
    private readonly taken: () => number,
    /** Disconnects the client, with the reason for the log. */
    private readonly disconnect: (reason: string) => void,
  ) {}

  /** A push of `bytes` had to wait because the output is blocked. */
  held(bytes: number): void {
    this.undelivered += bytes;
    if (this.undelivered > this.limits.maxPending) {
      return this.disconnect(`slow consumer: ${this.undelivered} bytes of pushes undelivered (limit ${this.limits.maxPending})`);
    }
    this.blocked();
  }

  /** The output is blocked (the client is not taking what was written): the deadline runs. */
  blocked(): void {
    const ms = this.limits.writeDeadlineMs;
    if (ms === 0 || this.timer) return;
    this.movedAt = this.taken();
    this.timer = setTimeout(() => this.check(), ms);
  }

  /** The client took its output. */
  drained(): void {
    this.undelivered = 0;
    this.stop();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private check(): void {
    this.timer = null;
    if (this.taken() === this.movedAt) return this.disconnect(`stalled: no output taken for ${this.limits.writeDeadlineMs} ms`);
    this.blocked(); // it moved, slowly: give it another period
  }
}
