// The file operations the write and read paths use, as one mutable object so that tests can
// inject failures (ENOSPC, EIO) without a full disk. Positioned I/O only: every call says where.
import fs from 'node:fs';

/**
 * Writes `pieces` back to back at pos, all of them. A small write is synchronous: it lands in the
 * page cache in microseconds, far less than a round trip through libuv's thread pool, and the
 * group commit waits for it either way (Redis writes its AOF on the main thread for the same
 * reason). A large one goes to the thread pool, so that the copy into the page cache (and any
 * writeback throttling) overlaps with the event loop reading and parsing the next requests.
 * The fsync, which does wait for the disk, is always asynchronous.
 */
function writeAll(fd: number, pieces: readonly Uint8Array[], pos: number): Promise<void> {
  if (byteLength(pieces) >= ASYNC_WRITE_BYTES) return writeAllAsync(fd, pieces, pos);
  try {
    let rest = pieces;
    while (rest.length > 0) {
      const [only] = rest;
      const n = rest.length === 1 && only ? fs.writeSync(fd, only, 0, only.length, pos) : fs.writevSync(fd, rest, pos);
      pos += n;
      rest = dropBytes(rest, n);
    }
    return RESOLVED;
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Writes at least this large go through the thread pool (see writeAll). */
const ASYNC_WRITE_BYTES = 256 * 1024;

function writeAllAsync(fd: number, pieces: readonly Uint8Array[], pos: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (rest: readonly Uint8Array[], at: number): void => {
      if (rest.length === 0) return resolve();
      fs.writev(fd, rest, at, (err, n) => (err ? reject(err) : step(dropBytes(rest, n), at + n)));
    };
    step(pieces, pos);
  });
}

function byteLength(pieces: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of pieces) n += p.length;
  return n;
}

/** What is left of `pieces` after its first n bytes (a short write). */
function dropBytes(pieces: readonly Uint8Array[], n: number): readonly Uint8Array[] {
  let i = 0;
  while (i < pieces.length && n >= pieces[i]!.length) n -= pieces[i++]!.length;
  const cut = pieces[i];
  return cut === undefined ? [] : [cut.subarray(n), ...pieces.slice(i + 1)];
}

const RESOLVED = Promise.resolve();

/** Reads up to len bytes; resolves with the count (short only at end of file). */
function readAt(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const step = (): void => {
      fs.read(fd, buf, off + got, len - got, pos + got, (err, n) => {
        if (err) reject(err);
        else if (n === 0 || got + n === len) resolve(got + n);
        else {
          got += n;
          step();
        }
      });
    };
    step();
  });
}

function callback(run: (cb: (err: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((err) => (err ? reject(err) : resolve())));
}

/** Reads up to len bytes at once, blocking: for bytes just written, which are in the page cache. */
function readCachedAt(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number {
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, off + got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

export const io = {
  write: writeAll,
  read: readAt,
  readCached: readCachedAt,
  fdatasync: (fd: number): Promise<void> => callback((cb) => fs.fdatasync(fd, cb)),
  fsync: (fd: number): Promise<void> => callback((cb) => fs.fsync(fd, cb)),
  ftruncate: (fd: number, len: number): Promise<void> => callback((cb) => fs.ftruncate(fd, len, cb)),
  /** A one-byte write at `pos`: a write that cannot be torn (the commit byte of a round). */
  writeByte(fd: number, byte: number, pos: number): void {
    oneByte[0] = byte;
    fs.writeSync(fd, oneByte, 0, 1, pos);
  },
};

const oneByte = Buffer.alloc(1);

/** Short-lived files synced at once at most: each holds a descriptor while it waits for the thread pool. */
const SYNC_SLOTS = 8;
let syncSlots = 0;
const syncWaiters: (() => void)[] = [];

/**
 * Runs `sync` (which opens a file, syncs and closes it) when one of SYNC_SLOTS is free (the thread
 * pool runs four at once anyway): thousands of logs created or marked durable together must not
 * hold thousands of descriptors.
 */
export async function withSyncSlot<T>(sync: () => Promise<T>): Promise<T> {
  if (syncSlots >= SYNC_SLOTS)
    await new Promise<void>((resolve) => syncWaiters.push(resolve)); // handed a slot
  else syncSlots++;
  try {
    return await sync();
  } finally {
    const next = syncWaiters.shift();
    if (next)
      next(); // the slot passes on
    else syncSlots--;
  }
}

/** Opens `path`, syncs it with `sync` and closes it, within a sync slot. */
function syncPath(path: string, sync: (fd: number) => Promise<void>): Promise<void> {
  return withSyncSlot(async () => {
    const fd = fs.openSync(path, 'r');
    try {
      await sync(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** fsync of a directory, so that created, renamed or deleted entries are durable. */
export function syncDir(dir: string): Promise<void> {
  return syncPath(dir, (fd) => io.fsync(fd));
}

/** fsync of a file or directory by its path, blocking (the offline repair and synchronous file replaces). */
export function fsyncPathSync(path: string): void {
  const fd = fs.openSync(path, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** fdatasync of a file by its path (a chunk whose files may be closed). */
export function datasyncFile(path: string): Promise<void> {
  return syncPath(path, (fd) => io.fdatasync(fd));
}
