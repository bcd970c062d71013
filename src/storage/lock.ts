// <data>/LOCK: an exclusive flock held for as long as a store is open, so that two logd processes
// never write the same data directory. The lock belongs to the open file: closing releases it,
// and so does the death of the process.
import fs from 'node:fs';
import { join } from 'node:path';
import { flockSync } from 'fs-ext';
import { LogdError } from '../../protocol/errors.ts';

/** Takes the lock (without waiting) and writes our pid into LOCK for humans; returns its fd. */
export function lockDataDir(dir: string): number {
  const fd = fs.openSync(join(dir, 'LOCK'), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  try {
    flockSync(fd, 'exnb');
  } catch (err) {
    fs.closeSync(fd);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') throw new LogdError('internal', `data directory ${dir} is in use by another logd process`);
    throw err;
  }
  try {
    fs.ftruncateSync(fd, 0);
    fs.writeSync(fd, `${process.pid}\n`, 0);
  } catch {
    // The pid is for humans; a full disk must not keep the node from starting read-only.
  }
  return fd;
}

export function unlockDataDir(fd: number): void {
  fs.closeSync(fd);
}
