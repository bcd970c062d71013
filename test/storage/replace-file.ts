// The one durable file replace (checkpoints, failover roles, diverged marks, logtail's state).
import test from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { io } from '../../src/storage/io.ts';
import { replaceFile, replaceFileSync } from '../../src/storage/replace-file.ts';
import { inject } from '../_inject.ts';
import { tempDir } from './_store.ts';

for (const [what, replace] of [
  ['async', replaceFile],
  ['sync', async (path: string, data: string) => replaceFileSync(path, data)],
] as const) {
  test.serial(`${what}: the new contents replace the old, and no temporary file stays`, async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'state');
    writeFileSync(path, 'old\n');
    writeFileSync(join(dir, '.state.tmp'), 'left by a crash'); // overwritten, never read
    await replace(path, 'new\n');
    t.is(readFileSync(path, 'utf8'), 'new\n');
    t.deepEqual(readdirSync(dir), ['state']);
  });
}

test.serial('a failed directory sync is reported: the caller never takes the new contents as durable', async (t) => {
  const dir = tempDir(t);
  inject(t, io, 'fsync', async () => {
    throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
  });
  await t.throwsAsync(replaceFile(join(dir, 'state'), 'new\n'), { message: /EIO/ });
});
