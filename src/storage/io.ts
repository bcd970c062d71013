// The file operations the write and read paths use, as one mutable object so that tests can
// inject failures (ENOSPC, EIO) without a full disk. Positioned I/O only: every call says where.
import fs from 'node:fs';

function writeAll(fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (o: number, l: number, p: number): void => {
      fs.write(fd, buf, o, l, p, (err, n) => {
        if (err) reject(err);
        else if (n < l) step(o + n, l - n, p + n);
        else resolve();
      });
    };
    step(off, len, pos);
  });
}

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

export const io = {
  write: writeAll,
  read: readAt,
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
