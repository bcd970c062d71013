// Log.restartAt: a replica whose source trimmed past its head drops what it holds and continues,
// empty, at the source's first id; the log reopens that way, and a crash halfway through its
// file operations leaves a shorter or an empty log, never one with a gap.
import test from 'ava';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LogdError } from '../../protocol/errors.ts';
import { Store } from '../../src/storage/store.ts';
import { idsOf, openStore, payloads, tempDir } from './_store.ts';

const chunkFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.chunk'))
    .sort();

test('restartAt drops every record, continues at the given id, and reopens there', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { chunkBytes: 300, fsync: { mode: 'always' } });
  const owner = await store.create('alice');
  for (let i = 1; i <= 60; i += 3) await owner.append(payloads(i, 3, 40));
  t.true((await owner.trim(40)) > 1);
  const replica = await store.create('bob');
  await replica.append(payloads(1, 5));

  t.is((await t.throwsAsync<LogdError>(replica.restartAt(6)))?.message, 'log bob cannot restart at 6: its head is 5');
  const first = owner.first();
  t.is(await replica.restartAt(first), 5);
  t.is(replica.first(), first);
  t.is(replica.head(), first - 1);
  t.deepEqual(chunkFiles(join(dir, 'bob')), [`${String(first).padStart(20, '0')}.chunk`]);
  t.is((await t.throwsAsync<LogdError>(async () => replica.read(1, 10, 1 << 20)))?.code, 'gone');

  const frames = (await owner.read(first, 1000, 1 << 20)).data;
  t.deepEqual(await replica.appendFrames(frames), { first, last: 60 });
  t.deepEqual((await replica.read(first, 1000, 1 << 20)).data, frames);
  await store.close();

  const again = await Store.open({ dir, fsync: { mode: 'none' }, chunkBytes: 300, maxMsg: 1 << 20, logger: () => {} });
  t.teardown(() => again.close());
  const reopened = again.get('bob')!;
  t.is(reopened.first(), first);
  t.is(reopened.head(), 60);
  t.deepEqual(
    idsOf((await reopened.read(first, 1000, 1 << 20)).data),
    Array.from({ length: 61 - first }, (_, i) => first + i),
  );
});

test('an empty log restarts at a later id; a crash before the new chunk was made leaves an empty log', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir);
  const log = await store.create('bob');
  t.is(await log.restartAt(1000), 0);
  t.deepEqual([log.first(), log.head()], [1000, 999]);
  t.deepEqual(await log.append(payloads(1000, 2)), { first: 1000, last: 1001 });
  await store.close();

  // The state a crash between the removal of the old chunks and the creation of the new one leaves.
  for (const f of readdirSync(join(dir, 'bob'))) rmSync(join(dir, 'bob', f));
  const again = await Store.open({ dir, fsync: { mode: 'none' }, chunkBytes: 1 << 20, maxMsg: 1 << 20, logger: () => {} });
  t.teardown(() => again.close());
  t.deepEqual([again.get('bob')!.first(), again.get('bob')!.head()], [1, 0]);
});
