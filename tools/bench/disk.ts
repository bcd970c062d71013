// The disk's own rate for what logd asks of it under `--fsync always`: sequential appends, each
// followed by fdatasync, in the directory the benchmarked servers write to. Small appends give the
// syncs per second the disk does (the ceiling of unbatched fsync'd writes); 1 MiB appends give its
// throughput with a sync per write.
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './servers.ts';

/** Appends `size`-byte buffers with an fdatasync after each, for about `seconds`; writes/s and MB/s. */
export function syncedAppends(size: number, seconds: number): { writesPerSecond: number; mbPerSecond: number } {
  const dir = tempDir('disk');
  const fd = openSync(join(dir, 'data'), 'w');
  const buf = Buffer.alloc(size, 97);
  try {
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round(seconds * 1e9));
    let writes = 0;
    let now = start;
    for (; now < deadline; now = process.hrtime.bigint()) {
      writeSync(fd, buf, 0, size, writes * size);
      fdatasyncSync(fd);
      writes++;
    }
    const elapsed = Number(now - start) / 1e9;
    return { writesPerSecond: writes / elapsed, mbPerSecond: (writes * size) / elapsed / 1e6 };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}
