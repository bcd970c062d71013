// Keeps a task running: when a run ends or throws, it is started again after a capped
// exponential backoff with jitter (src/wire/backoff.ts); a run that made progress (it
// connected and moved data) starts the count over, so a link that was healthy for a while
// comes back quickly after a cut, and a peer that stays away is asked rarely.
import { backoffDelay, sleep, type BackoffOptions } from '../wire/backoff.ts';

/** How one run ended: keep going from a short delay, keep going with a longer one, or stop. */
export type RunOutcome = 'progressed' | 'failed' | 'done';

export interface SuperviseOptions extends BackoffOptions {
  /** Aborting it ends the supervision (and the wait between runs) at once. */
  signal: AbortSignal;
  /** A run threw: it is reported here, then restarted like a failed run. */
  onCrash(err: unknown): void;
  /** The wait between runs; tests replace it to see the delays. */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Replication's delays: the first retry within 100 ms, then doubling up to 3 s. */
export const RECONNECT: BackoffOptions = { minDelayMs: 100, maxDelayMs: 3000 };

export async function supervise(run: () => Promise<RunOutcome>, opts: SuperviseOptions): Promise<void> {
  const wait = opts.wait ?? sleep;
  let attempt = 0;
  while (!opts.signal.aborted) {
    let outcome: RunOutcome;
    try {
      outcome = await run();
    } catch (err) {
      opts.onCrash(err);
      outcome = 'failed';
    }
    if (outcome === 'done' || opts.signal.aborted) return;
    attempt = outcome === 'progressed' ? 0 : attempt + 1;
    await wait(backoffDelay(attempt, opts), opts.signal);
  }
}
