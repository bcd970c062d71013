// The durable point of a log: `<log>/DURABLE`, one fixed-width line
//   `<policy> <boot-id> <chunk-first-id> <bytes>`
// saying that, under the fsync policy the data was written with, every chunk before
// `<chunk-first-id>` and the first `<bytes>` of that chunk were fdatasynced. Recovery uses it to
// tell a torn tail (bytes that could be unsynced: they may be cut) from damage (bytes that were
// synced or, in the same boot, written: they must not be). It is rewritten in place (one pwrite
// of 64 bytes, which does not tear) at periodic syncs, seals, rolls and a clean close, never per
// round. See protocol/STORAGE.md, "Opening a log".
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { FsyncPolicy } from './policy.ts';
import { withSyncSlot } from './io.ts';

export const DURABLE_FILE = 'DURABLE';
const LINE_BYTES = 64;

export interface DurablePoint {
  /** The policy the data up to the next marker was written with. */
  policy: FsyncPolicy['mode'];
  /** The kernel boot the marker was written in: the same boot after a crash means a kill, not a power loss. */
  boot: string;
  chunk: number;
  bytes: number;
}

let bootId: string | undefined;

/** This boot of the machine (Linux: /proc boot_id; elsewhere the boot time to the minute). */
export function currentBoot(): string {
  if (bootId === undefined) {
    try {
      bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    } catch {
      bootId = `t${Math.round((Date.now() - os.uptime() * 1000) / 60_000)}`;
    }
  }
  return bootId;
}

/** The marker of the log in `dir`, or null when there is none or it is unreadable. */
export function readDurable(dir: string): DurablePoint | null {
  let text: string;
  try {
    text = fs.readFileSync(join(dir, DURABLE_FILE), 'latin1');
  } catch {
    return null;
  }
  const m = /^(always|interval|none) (\S+) ([0-9]+) ([0-9]+) *\n/.exec(text);
  if (!m) return null;
  return { policy: m[1] as DurablePoint['policy'], boot: m[2]!, chunk: Number(m[3]), bytes: Number(m[4]) };
}

/** Writes the marker in place, then (with `sync`) fdatasyncs it. */
export function writeDurable(dir: string, point: DurablePoint, sync: boolean): Promise<void> {
  return withSyncSlot(async () => {
    const fd = fs.openSync(join(dir, DURABLE_FILE), fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o644);
    try {
      fs.writeSync(fd, lineOf(point), 0, 'latin1');
      if (sync) await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** a is at or after b in the log's byte order. */
export function atOrAfter(aChunk: number, aBytes: number, b: { chunk: number; bytes: number }): boolean {
  return aChunk > b.chunk || (aChunk === b.chunk && aBytes >= b.bytes);
}

function lineOf(point: DurablePoint): string {
  return `${point.policy} ${point.boot} ${point.chunk} ${point.bytes}`.padEnd(LINE_BYTES - 1) + '\n';
}
