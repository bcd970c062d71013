// A log reports its own chunk files (retention weighs them without listing the directory).
import test from 'ava';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, payloads, tempDir } from './_store.ts';

test('chunkFiles lists every chunk file oldest first with its size and mtime, and follows trim and restartAt', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { chunkBytes: 300 });
  const log = await store.create('alice');
  for (let i = 1; i <= 30; i += 3) await log.append(payloads(i, 3, 40));
  const onDisk = () =>
    readdirSync(join(dir, 'alice'))
      .filter((f) => f.endsWith('.chunk'))
      .sort()
      .map((f) => ({ first: Number(f.slice(0, 20)), bytes: statSync(join(dir, 'alice', f)).size, mtimeMs: statSync(join(dir, 'alice', f)).mtimeMs }));
  // An old mtime on the oldest chunk, so that the figure is seen to come from the file.
  const oldest = join(
    dir,
    'alice',
    readdirSync(join(dir, 'alice'))
      .filter((f) => f.endsWith('.chunk'))
      .sort()[0]!,
  );
  utimesSync(oldest, new Date(1_000_000), new Date(1_000_000));
  const listed = await log.chunkFiles();
  t.true(listed.length > 3);
  t.deepEqual(listed, onDisk());
  t.is(listed[0]!.mtimeMs, 1_000_000);
  t.is(
    listed.reduce((sum, c) => sum + c.bytes, 0),
    onDisk().reduce((sum, c) => sum + c.bytes, 0),
  );

  await log.trim(listed[2]!.first);
  t.deepEqual(await log.chunkFiles(), onDisk());
  t.is((await log.chunkFiles())[0]!.first, listed[2]!.first);

  await log.restartAt(100);
  t.deepEqual(await log.chunkFiles(), [{ first: 100, bytes: 0, mtimeMs: onDisk()[0]!.mtimeMs }]);
});
