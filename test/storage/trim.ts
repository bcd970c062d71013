import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LogdError } from '../../protocol/errors.ts';
import { idsOf, openStore, payloads, tempDir } from './_store.ts';

test('trim deletes whole chunks below the id, never the active one, and returns the new first id', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { chunkBytes: 300 });
  const log = await store.create('alice');
  for (let i = 1; i <= 30; i += 3) await log.append(payloads(i, 3, 40));
  const chunkIds = () =>
    readdirSync(join(dir, 'alice'))
      .filter((f) => f.endsWith('.chunk'))
      .map((f) => Number(f.slice(0, 20)));
  const ids = chunkIds();
  t.deepEqual(ids.slice(0, 3), [1, 4, 7]);
  t.is(await log.trim(1), 1);
  t.is(await log.trim(6), 4);
  t.deepEqual(chunkIds(), ids.slice(1));
  t.is(readdirSync(join(dir, 'alice')).filter((f) => f.endsWith('.idx')).length, ids.length - 1);
  t.is(await log.trim(1000), ids.at(-1)!);
  t.deepEqual(chunkIds(), [ids[ids.length - 1]]);
  t.is(log.head(), 30);
  t.deepEqual(idsOf((await log.read(log.first(), 100, 1 << 20)).data), [28, 29, 30]);
  t.deepEqual(await log.append(payloads(31, 1)), { first: 31, last: 31 });
});

test('readers in flight on a trimmed chunk finish; later reads of it are gone', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { chunkBytes: 2000 });
  const log = await store.create('alice');
  for (let i = 1; i <= 200; i += 10) await log.append(payloads(i, 10, 100));
  // The prefix digest before the trim point is known already (a follower or an earlier trim asked),
  // so the trim takes the chunks out at once, while the reads below are in flight.
  const kept = Math.max(
    ...readdirSync(join(dir, 'alice'))
      .filter((f) => f.endsWith('.chunk'))
      .map((f) => Number(f.slice(0, 20)))
      .filter((id) => id <= 150),
  );
  await log.digests.prepareTrim(kept);
  // Each of these stays inside one chunk: they started before the trim, so they finish.
  const inside = Array.from({ length: 10 }, (_, i) => log.read(1 + i * 10, 3, 1 << 20));
  // These need later chunks that the trim deletes before they get there.
  const across = Array.from({ length: 10 }, (_, i) => log.read(1 + i * 5, 80, 1 << 20));
  const first = await log.trim(150);
  t.true(first > 100);
  for (const [i, read] of inside.entries()) t.deepEqual(idsOf((await read).data), [1 + i * 10, 2 + i * 10, 3 + i * 10]);
  for (const read of across) t.is((await t.throwsAsync<LogdError>(Promise.resolve(read)))?.code, 'gone');
  t.is((await t.throwsAsync<LogdError>(async () => log.read(1, 10, 100)))?.code, 'gone');
  t.deepEqual(idsOf((await log.read(first, 1, 100)).data), [first]);
});

test.serial('writing and reading a log of many chunks keeps at most the open-files budget open', async (t) => {
  const openFiles = () => readdirSync('/proc/self/fd').length;
  const before = openFiles();
  // The store holds LOCK, and its chunks at most the budget: 3 chunks' files.
  const bound = before + 1 + 6;
  const { store } = await openStore(t, tempDir(t), { chunkBytes: 300, openFiles: 6 });
  const log = await store.create('alice');
  for (let i = 1; i <= 200; i += 4) await log.append(payloads(i, 4, 40));
  t.true(openFiles() <= bound, `${openFiles() - before} more files open after writing`);
  for (let round = 0; round < 2; round++) {
    for (let id = 1; id <= log.head(); id += 3)
      t.deepEqual(
        idsOf((await log.read(id, 3, 1 << 20)).data),
        [id, id + 1, id + 2].filter((x) => x <= 200),
      );
  }
  t.true(openFiles() <= bound, `${openFiles() - before} more files open after reading`);
  const all = await Promise.all([log.read(1, 200, 1 << 20), log.read(100, 200, 1 << 20), log.read(1, 200, 1 << 20)]);
  t.deepEqual(
    all.map((r) => r.count),
    [200, 101, 200],
  );
  t.true(openFiles() <= bound);
});
