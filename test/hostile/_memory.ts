// Test helper: the peak resident memory of a process while something runs (sampled every 25 ms).
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
