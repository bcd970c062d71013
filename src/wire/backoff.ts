// Capped exponential backoff with jitter, for reconnecting.

export interface BackoffOptions {
  /** First delay, before jitter (default 50 ms). */
  minDelayMs?: number;
  /** Largest delay (default 5000 ms). */
  maxDelayMs?: number;
}

/**
 * The delay before retry number `attempt` (0-based): min·2^attempt capped at max, then
 * "equal jitter" (a random point in its upper half), so clients that lost the same server
 * do not all come back at the same instant.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const min = opts.minDelayMs ?? 50;
  const max = opts.maxDelayMs ?? 5000;
  const ceiling = Math.min(max, min * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * One retry loop's place on the backoff curve, the one shape every reconnecting loop uses
 * (client redial and follow, replication's supervisor, logtail's shipper): the k-th failure since
 * the last progress waits backoffDelay(k - 1), so the first retry comes soon and a server that
 * stays away is asked more and more rarely; progress starts the curve over.
 */
export class Retry {
  private count = 0;

  constructor(
    private readonly opts: BackoffOptions = {},
    private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
  ) {}

  /** Failures since the last progress. */
  get failures(): number {
    return this.count;
  }

  /** Work went on: the next failure waits the shortest delay again. */
  progressed(): void {
    this.count = 0;
  }

  /** An attempt failed: waits the next delay (ends at once when `signal` aborts); onDelay hears it first. */
  async failed(signal?: AbortSignal, onDelay?: (ms: number) => void): Promise<void> {
    const delay = backoffDelay(this.count++, this.opts);
    onDelay?.(delay);
    await this.wait(delay, signal);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}
