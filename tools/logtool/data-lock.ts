// Offline commands and a running server: the server holds <data>/LOCK with an exclusive flock.
// Taking a shared flock tells whether one does, and keeps one from starting meanwhile.
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { flockSync } from '../../src/storage/lock.ts';

/** Takes a shared lock on the data directory: a release function, or null if a server holds it. */
export function lockShared(dir: string): (() => void) | null {
  let fd: number;
  try {
    fd = openSync(join(dir, 'LOCK'), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return () => undefined;
    throw err;
  }
  try {
    flockSync(fd, 'shnb');
  } catch (err) {
    closeSync(fd);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return null;
    throw err;
  }
  return () => closeSync(fd);
}
