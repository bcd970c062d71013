// Test helpers: the peak resident memory of a process while something runs (sampled every 25 ms),
// and waiting until a stalled client's traffic has stopped moving before the memory is judged.
import { rssBytes } from '../server/_rss.ts';

export const MiB = 1024 * 1024;

export interface RssWatch {
  /** Highest VmRSS seen so far, in bytes. */
  peak(): number;
  /** Stops sampling; returns the peak. */
  stop(): number;
}

export function watchRss(pid: number, everyMs = 25): RssWatch {
  let peak = rssBytes(pid);
  const sample = () => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // the process has exited
    }
  };
  const timer = setInterval(sample, everyMs);
  return {
    peak: () => {
      sample();
      return peak;
    },
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(0)} MiB`;
}

/** Polls of `steady` that must all see the same value. */
const STEADY_POLLS = 5;

/**
 * Polls `read` every 200 ms until it has given the same value STEADY_POLLS times in a row (a
 * stalled client's traffic has stopped: the server sent or took all it will); returns that value.
 * Fails with `what` after timeoutMs, so a server that never stops (buffers without bound) fails.
 */
export async function steady(what: string, read: () => Promise<number> | number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  for (let same = 1; same < STEADY_POLLS; ) {
    if (Date.now() > deadline) throw new Error(`${what} still moved after ${timeoutMs} ms (last ${last})`);
    await new Promise((r) => setTimeout(r, 200));
    const now = await read();
    same = now === last ? same + 1 : 1;
    last = now;
  }
  return last;
}
