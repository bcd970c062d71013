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
