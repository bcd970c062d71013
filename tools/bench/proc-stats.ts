// CPU time and resident memory of a process, read from /proc (Linux): how the benchmarks show
// what each server and each load generator cost.
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ); 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of `pid` so far (fields 14 and 15 of /proc/<pid>/stat). */
export function processCpuSeconds(pid: number): number {
  const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

/** User + system CPU seconds of the waited-for children of a process (fields 16 and 17). */
export function childrenCpuSeconds(statText: string): number {
  const fields = statFields(statText);
  return (Number(fields[15]) + Number(fields[16])) / TICKS_PER_SECOND;
}

/** Resident set size of `pid` in bytes (VmRSS of /proc/<pid>/status). */
export function processRssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU seconds this Node process (the load generator) has used so far. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Fields of a /proc stat line, numbered from 0; the command name (field 1) may hold spaces. */
function statFields(text: string): string[] {
  const close = text.lastIndexOf(')');
  return [
    'pid',
    'comm',
    ...text
      .slice(close + 2)
      .trim()
      .split(' '),
  ];
}

/** Samples a process's RSS every `everyMs` and keeps the peak, until stopped. */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    try {
      this.peak = Math.max(this.peak, processRssBytes(this.pid));
    } catch {
      // the process has exited: keep the peak seen so far
    }
  }

  /** Stops sampling; returns the peak RSS in bytes. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}
