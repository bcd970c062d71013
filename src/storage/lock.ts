// <data>/LOCK: an exclusive flock held for as long as a store is open, so that two logd processes
// never write the same data directory. The lock belongs to the open file: closing releases it,
// and so does the death of the process.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { LogdError } from '../../protocol/errors.ts';

type FlockSync = (fd: number, flags: 'exnb' | 'shnb') => void;
let loadedFlock: FlockSync | undefined;

/**
 * fs-ext's flockSync, loaded on first use: fs-ext is a native addon built at install, an optional
 * dependency so that the client and the network tools install without a C/C++ toolchain. Only
 * the server and the offline tools need it, and they say so when it is missing.
 */
export function flockSync(fd: number, flags: 'exnb' | 'shnb'): void {
  if (!loadedFlock) {
    try {
      loadedFlock = (createRequire(import.meta.url)('fs-ext') as { flockSync: FlockSync }).flockSync;
    } catch (err) {
      throw new Error(
        `cannot load fs-ext, which locks the data directory (${(err as Error).message.split('\n')[0]}). ` +
          'It is an optional native dependency that was not built at install: install a C/C++ toolchain ' +
          '(python3, make, g++) and run "npm rebuild fs-ext" (or "npm install fs-ext") where logd is installed.',
      );
    }
  }
  loadedFlock(fd, flags);
}

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
