// Replacing a small file durably (checkpoints, the failover roles, diverged marks, logtail's state):
// write `.<name>.tmp` next to it, fsync it, rename it over the old file, fsync the directory.
// A crash leaves the old contents or the new, never a mix or nothing; once the call returns, the
// new contents survive a power loss. The temporary name starts with a dot, which no log or
// consumer name does, so a leftover one is never taken for data.
import fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsyncPathSync, syncDir } from './io.ts';

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp`);
}

export async function replaceFile(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPath(path);
  const file = await fs.promises.open(tmp, 'w');
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.promises.rename(tmp, path);
  await syncDir(dirname(path));
}

/** The same steps, blocking: for a command-line tool whose next step waits for them anyway. */
export function replaceFileSync(path: string, data: string | Uint8Array): void {
  const tmp = tempPath(path);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path);
  fsyncPathSync(dirname(path));
}
