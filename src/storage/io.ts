// The file operations the write and read paths use, as one mutable object so that tests can
// inject failures (ENOSPC, EIO) without a full disk. Positioned I/O only: every call says where.
import fs from 'node:fs';

/**
 * Writes all of buf[off, off+len) at pos. Synchronous underneath: a write lands in the page cache
 * in microseconds, far less than a round trip through libuv's thread pool, and the group commit
 * waits for it either way (Redis writes its AOF on the main thread for the same reason). The
 * fsync, which does wait for the disk, stays asynchronous.
 */
function writeAll(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<void> {
  try {
    while (len > 0) {
      const n = fs.writeSync(fd, buf, off, len, pos);
      off += n;
      len -= n;
      pos += n;
    }
    return RESOLVED;
  } catch (err) {
    return Promise.reject(err);
  }
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
  /** A one-byte write at `pos`: a write that cannot be torn (the commit mark of a group). */
  writeByte(fd: number, byte: number, pos: number): void {
    oneByte[0] = byte;
    fs.writeSync(fd, oneByte, 0, 1, pos);
  },
};

const oneByte = Buffer.alloc(1);

/** fsync of a directory, so that created, renamed or deleted entries are durable. */
export async function syncDir(dir: string): Promise<void> {
  const fd = fs.openSync(dir, 'r');
  try {
    await io.fsync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
