import test from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogdError } from '../../protocol/errors.ts';
import { openStore, tempDir } from './_store.ts';

test('checkpoints are 0 until stored, survive reopen, and are kept per consumer and log', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir);
  t.is(store.checkpoint('indexer', 'alice'), 0);
  await store.setCheckpoint('indexer', 'alice', 42);
  await store.setCheckpoint('indexer', 'bob', 7);
  await store.setCheckpoint('mailer', 'alice', 3);
  t.is(store.checkpoint('indexer', 'alice'), 42);
  await store.close();
  t.is(readFileSync(join(dir, '.checkpoints', 'indexer'), 'latin1'), 'alice 42\nbob 7\n');
  const again = await openStore(t, dir);
  t.is(again.store.checkpoint('indexer', 'alice'), 42);
  t.is(again.store.checkpoint('indexer', 'bob'), 7);
  t.is(again.store.checkpoint('mailer', 'alice'), 3);
  t.is(again.store.checkpoint('mailer', 'bob'), 0);
  t.deepEqual(again.store.names(), []);
});

test('concurrent stores for one consumer coalesce and the last value wins', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir);
  await Promise.all(Array.from({ length: 50 }, (_, i) => store.setCheckpoint('c', i % 2 ? 'odd' : 'even', i)));
  t.is(store.checkpoint('c', 'even'), 48);
  t.is(store.checkpoint('c', 'odd'), 49);
  t.is(readFileSync(join(dir, '.checkpoints', 'c'), 'latin1'), 'even 48\nodd 49\n');
  t.deepEqual(readdirSync(join(dir, '.checkpoints')), ['c']);
});

test('invalid consumer, log or id is a syntax error; a leftover temp file is ignored', async (t) => {
  const dir = tempDir(t);
  const first = await openStore(t, dir);
  for (const [consumer, log, id] of [
    ['.x', 'a', 1],
    ['a', '../b', 1],
    ['a', 'b', -1],
    ['a', 'b', 1.5],
  ] as const) {
    t.is((await t.throwsAsync<LogdError>(first.store.setCheckpoint(consumer, log, id)))?.code, 'syntax');
  }
  await first.store.close();
  writeFileSync(join(dir, '.checkpoints', '.c.tmp'), 'half');
  const { store } = await openStore(t, dir);
  t.is(store.checkpoint('c', 'half'), 0);
  t.deepEqual(readdirSync(join(dir, '.checkpoints')), []);
});
