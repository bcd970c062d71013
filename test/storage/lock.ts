import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogdError } from '../../protocol/errors.ts';
import { Store } from '../../src/storage/store.ts';
import { openStore, tempDir } from './_store.ts';

const options = (dir: string) => ({ dir, fsync: { mode: 'none' } as const, chunkBytes: 1 << 20, maxMsg: 1024, logger: () => {} });

test('a second store on the same directory is refused, naming the directory', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir);
  t.is(readFileSync(join(dir, 'LOCK'), 'latin1'), `${process.pid}\n`);
  const err = await t.throwsAsync<LogdError>(Store.open(options(dir)));
  t.is(err?.code, 'internal');
  t.is(err?.message, `data directory ${dir} is in use by another logd process`);
  await store.close();
  const again = await Store.open(options(dir));
  await again.close();
  t.pass();
});

test('another process cannot take the lock while the store is open', async (t) => {
  const dir = tempDir(t);
  await openStore(t, dir);
  const script = `import { Store } from ${JSON.stringify(new URL('../../src/storage/store.ts', import.meta.url).href)};
    try { await Store.open({ dir: ${JSON.stringify(dir)}, fsync: { mode: 'none' }, chunkBytes: 1024, maxMsg: 10, logger() {} }); process.exit(0); }
    catch (err) { console.error(err.message); process.exit(3); }`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.is(child.status, 3);
  t.true(child.stderr.includes(`data directory ${dir} is in use by another logd process`));
});
