// tail -F: follows one path, whatever file is at it, after the Stem::LogTail notes.
// A check compares the file at the path with the one being read:
// - the same inode, grown: read the new bytes, line by line;
// - the same inode, smaller than what was read: truncated, read again from 0
//   (with `mtime`: also when the size stayed the same but the modification time changed: a
//   rewrite with the same amount of data, which size alone cannot see);
// - another inode: rotated. Finish the old file (it stays open: read it to its end), then
//   open the new one from 0;
// - nothing: missing. Finish the old file; wait for the path to come back (reopened).
// Checks run on fs.watch events of the file's directory and every `intervalMs`, one at a time.
// Reading stops while the queue is full; the shipper pokes the tailer when it has room again.
import { watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { EntryQueue } from './queue.ts';
import { LineSplitter } from '../lines.ts';
import type { TailState } from './state.ts';

export type StatusEvent = 'opened' | 'truncated' | 'rotated' | 'missing' | 'reopened';

export interface TailerOptions {
  path: string;
  /** The data log the lines go to. */
  log: string;
  queue: EntryQueue;
  intervalMs: number;
  /** Treat a changed mtime at an unchanged size as a rewrite. */
  mtime: boolean;
  /** Where to resume (from the state file), or null on a first start. */
  resume: TailState | null;
  /** On a first start, skip what the file already holds. */
  fromEnd: boolean;
  maxLine: number;
  onStatus: (event: StatusEvent, detail: string) => void;
  onError: (err: Error) => void;
}

interface OpenFile {
  handle: FileHandle;
  ino: number;
  /** Bytes read so far (lines complete up to a point, then the unfinished one). */
  readPos: number;
  size: number;
  mtimeMs: number;
  splitter: LineSplitter;
}

const READ_BYTES = 256 * 1024;

export class Tailer {
  private file: OpenFile | null = null;
  /** A replaced file still being read to its end, before the file at the path. */
  private old: OpenFile | null = null;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private again = false;
  private stopped = false;
  private missing = false;
  /** A file was opened before: the next one is reopened or rotated, not opened. */
  private everOpened = false;

  constructor(private readonly opts: TailerOptions) {}

  async start(): Promise<void> {
    const { resume } = this.opts;
    if (resume) await this.resumeFrom(resume);
    else if (this.opts.fromEnd) await this.skipExisting();
    try {
      this.watcher = watch(dirname(this.opts.path), (_event, name) => {
        if (name === null || name === basename(this.opts.path)) this.poke();
      });
      this.watcher.on('error', () => undefined); // the poll still runs
    } catch {
      // The directory may not exist yet: the poll finds the file when it appears.
    }
    this.timer = setInterval(() => this.poke(), this.opts.intervalMs);
    await this.check();
  }

  /** Runs a check now (or right after the one running). */
  poke(): void {
    if (this.stopped) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    void this.check();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.watcher?.close();
    await this.old?.handle.close();
    await this.file?.handle.close();
  }

  private async check(): Promise<void> {
    this.checking = true;
    try {
      do {
        this.again = false;
        await this.checkOnce();
      } while (this.again && !this.stopped);
    } catch (err) {
      this.opts.onError(err as Error);
    } finally {
      this.checking = false;
    }
  }

  private async checkOnce(): Promise<void> {
    if (this.old && !(await this.finish(this.old))) return;
    this.old = null;
    const st = await stat(this.opts.path, { bigint: false }).catch(() => null);
    const current = this.file;
    if (current && (!st || st.ino !== current.ino)) {
      this.file = null;
      this.old = current;
      if (!(await this.finish(current))) return;
      this.old = null;
      if (!st) this.markMissing();
    }
    if (!this.file) {
      if (!st) return this.markMissing();
      const replaced = current !== null;
      this.file = await this.openAt(0);
      if (!this.file) return this.markMissing();
      const event: StatusEvent = !this.everOpened ? 'opened' : this.missing || !replaced ? 'reopened' : 'rotated';
      this.everOpened = true;
      this.missing = false;
      this.opts.onStatus(event, this.describe(this.file));
    }
    await this.follow(this.file);
  }

  /** Reads what the open file gained; handles truncation and same-size rewrites first. */
  private async follow(f: OpenFile): Promise<void> {
    const st = await f.handle.stat();
    const rewritten = this.opts.mtime && st.size === f.size && st.mtimeMs !== f.mtimeMs && st.size > 0;
    if (st.size < f.readPos || rewritten) {
      f.readPos = 0;
      f.splitter.reset();
      this.opts.onStatus('truncated', this.describe(f, st.size));
    }
    f.size = st.size;
    f.mtimeMs = st.mtimeMs;
    await this.readTo(f, st.size);
  }

  /** Reads a replaced file to its end, its last line even without LF; false while the queue is full. */
  private async finish(f: OpenFile): Promise<boolean> {
    const { size } = await f.handle.stat();
    if (!(await this.readTo(f, size))) return false;
    f.splitter.flush(f.readPos, (line, end) => this.emit(f, line, end));
    await f.handle.close();
    return true;
  }

  /** Reads [readPos, end) into the queue; false if it stopped because the queue is full. */
  private async readTo(f: OpenFile, end: number): Promise<boolean> {
    while (f.readPos < end) {
      if (this.opts.queue.full || this.stopped) return false;
      const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, end - f.readPos));
      const { bytesRead } = await f.handle.read(buf, 0, buf.length, f.readPos);
      if (bytesRead === 0) break;
      const pos = f.readPos;
      f.readPos += bytesRead;
      f.splitter.push(buf.subarray(0, bytesRead), pos, (line, lineEnd) => this.emit(f, line, lineEnd));
    }
    return true;
  }

  private emit(f: OpenFile, line: Buffer, end: number): void {
    this.opts.queue.push({ log: this.opts.log, payload: line, ino: f.ino, end });
  }

  /** Opens the file at the path (or `name`), positioned at `pos`. */
  private async openAt(pos: number, path = this.opts.path): Promise<OpenFile | null> {
    const handle = await open(path, 'r').catch(() => null);
    if (!handle) return null;
    const st = await handle.stat();
    return { handle, ino: st.ino, readPos: pos, size: st.size, mtimeMs: st.mtimeMs, splitter: new LineSplitter(this.opts.maxLine) };
  }

  /**
   * Continues where the state file says: in the file at the path if it is still the same
   * inode, or in the rotated file (found by inode in the same directory), finished first.
   */
  private async resumeFrom(state: TailState): Promise<void> {
    const st = await stat(this.opts.path).catch(() => null);
    if (st?.ino === state.ino) {
      this.file = await this.openAt(state.offset);
      this.everOpened = this.file !== null;
      if (this.file) this.opts.onStatus('opened', `${this.describe(this.file)} offset=${state.offset}`);
      return;
    }
    const rotated = await findByInode(dirname(this.opts.path), state.ino);
    if (rotated) {
      this.old = await this.openAt(state.offset, rotated);
      this.everOpened = true; // the file at the path is then the rotation's new one
      if (this.old) this.opts.onStatus('opened', `${rotated} inode=${state.ino} offset=${state.offset} (rotated while logtail was stopped)`);
    }
  }

  /** First start, --from-end: skip the current content. */
  private async skipExisting(): Promise<void> {
    const st = await stat(this.opts.path).catch(() => null);
    if (!st) return;
    this.file = await this.openAt(st.size);
    if (this.file) {
      this.everOpened = true;
      this.opts.onStatus('opened', `${this.describe(this.file)} (from its end)`);
    }
  }

  private markMissing(): void {
    if (this.missing) return;
    this.missing = true;
    this.opts.onStatus('missing', this.opts.path);
  }

  private describe(f: OpenFile, size = f.size): string {
    return `${this.opts.path} inode=${f.ino} size=${size}`;
  }
}

async function findByInode(dir: string, ino: number): Promise<string | null> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const st = await stat(path).catch(() => null);
    if (st?.isFile() && st.ino === ino) return path;
  }
  return null;
}
