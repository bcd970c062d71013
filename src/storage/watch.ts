// Files removed under a running node: once a second, a slice at a time, checks that the data
// directory is still the one the store locked (its LOCK file) and that every recovered log's
// active chunk is still in place (log.ts, checkFiles). See protocol/STORAGE.md.
import fs from 'node:fs';
import { join } from 'node:path';
import { LogdError } from '../../protocol/errors.ts';
import type { Log } from './log.ts';

/** How often every log is checked... */
const WATCH_MS = 1000;
/** ...in this many slices (a stat costs ~2 us: 10,000 logs would pause the loop 20 ms at once). */
const WATCH_SLICES = 10;

export class FileWatch {
  private readonly timer: NodeJS.Timeout;
  /** Logs the current cycle has still to check, and how many per slice. */
  private toCheck: Log[] = [];
  private checksPerSlice = 0;
  /** Set when the data directory itself was removed or replaced under the node. */
  lost: LogdError | null = null;

  constructor(
    private readonly dir: string,
    private readonly lockFd: number,
    private readonly logs: () => Iterable<Log>,
    private readonly logger: (line: string) => void,
  ) {
    this.timer = setInterval(() => this.check(), WATCH_MS / WATCH_SLICES);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    if (this.lost) return;
    if (this.toCheck.length === 0) {
      const why = this.dataDirMissing();
      if (why) {
        this.lost = new LogdError('internal', `${why}; writes are refused until the node restarts`);
        this.logger(`storage: ${why}: refusing every write and read until restart`);
        for (const log of this.logs()) log.markLost(why);
        return;
      }
      this.toCheck = [...this.logs()];
      this.checksPerSlice = Math.ceil(this.toCheck.length / WATCH_SLICES);
    }
    for (let i = 0; i < this.checksPerSlice && this.toCheck.length > 0; i++) this.toCheck.pop()!.checkFiles();
  }

  /** Why the data directory is no longer the one the store locked (its LOCK file is gone or another), or null. */
  dataDirMissing(): string | null {
    if (this.lost) return this.lost.message;
    const held = fs.fstatSync(this.lockFd);
    const now = fs.statSync(join(this.dir, 'LOCK'), { throwIfNoEntry: false });
    if (held.nlink > 0 && now && now.ino === held.ino && now.dev === held.dev) return null;
    return `data directory ${this.dir} was removed or replaced while the node ran`;
  }
}
