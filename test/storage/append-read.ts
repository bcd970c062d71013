import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LogdError } from '../../protocol/errors.ts';
import { payloadCrc } from '../../protocol/frame.ts';
import { idsOf, openStore, payloads, payloadsOf, tempDir } from './_store.ts';

test('append assigns consecutive ids and read returns the stored frames', async (t) => {
  const { store } = await openStore(t, tempDir(t));
  const log = await store.create('alice');
  t.is(log.head(), 0);
  t.is(log.first(), 1);
  t.deepEqual(await log.append([Buffer.from('one')]), { first: 1, last: 1 });
  t.deepEqual(await log.append([Buffer.from('two'), Buffer.from('three')]), { first: 2, last: 3 });
  t.is(log.head(), 3);
  const r = await log.read(1, 10, 1 << 20);
  t.is(r.count, 3);
  t.is(r.next, 4);
  t.deepEqual(payloadsOf(r.data), ['one', 'two', 'three']);
  t.regex(r.data.toString('latin1'), /^REC 1 \d{13} 3 [0-9a-f]{8}\r\none\r\nREC 2 /);
  t.true(r.data.toString('latin1').includes(payloadCrc(Buffer.from('two')).toString(16).padStart(8, '0')));
});

test('empty payloads are records like any other', async (t) => {
  const { store } = await openStore(t, tempDir(t));
  const log = await store.create('alice');
  await log.append([Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(0)]);
  const r = await log.read(1, 10, 1 << 20);
  t.deepEqual(payloadsOf(r.data), ['', 'x', '']);
  t.regex(r.data.toString('latin1'), /^REC 1 \d+ 0 00000000\r\n\r\n/);
});

test('payload over maxMsg is refused with toolong and consumes no id', async (t) => {
  const { store } = await openStore(t, tempDir(t), { maxMsg: 10 });
  const log = await store.create('alice');
  await log.append([Buffer.alloc(10)]);
  const err = await t.throwsAsync(log.append([Buffer.alloc(1), Buffer.alloc(11)]));
  t.is((err as LogdError).code, 'toolong');
  t.deepEqual(await log.append([Buffer.alloc(1)]), { first: 2, last: 2 });
});

test('read limits: start past head, maxRecords, maxBytes, at least one record', async (t) => {
  const { store } = await openStore(t, tempDir(t));
  const log = await store.create('alice');
  await log.append(payloads(1, 10, 100));
  t.deepEqual(await log.read(11, 5, 1000), { data: Buffer.alloc(0), count: 0, next: 11 });
  t.deepEqual(await log.read(50, 5, 1000), { data: Buffer.alloc(0), count: 0, next: 50 });
  t.deepEqual(idsOf((await log.read(3, 4, 1 << 20)).data), [3, 4, 5, 6]);
  const oneFrame = (await log.read(1, 1, 1 << 20)).data.length;
  const two = await log.read(1, 10, oneFrame * 2 + 5);
  t.is(two.count, 2);
  t.is(two.next, 3);
  t.is(two.data.length, oneFrame * 2);
  const big = await log.read(1, 10, 1);
  t.is(big.count, 1);
  t.deepEqual(payloadsOf(big.data), ['1:'.padEnd(100, 'x')]);
  t.is((await log.read(10, 10, 1 << 20)).count, 1);
});

test('reads cross chunk boundaries and chunks roll at chunkBytes', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { chunkBytes: 1000 });
  const log = await store.create('alice');
  for (let i = 1; i <= 100; i += 5) await log.append(payloads(i, 5, 40));
  const files = readdirSync(join(dir, 'alice')).filter((f) => f.endsWith('.chunk'));
  t.true(files.length > 5);
  t.true(files.every((f) => /^\d{20}\.chunk$/.test(f)));
  const all = await log.read(1, 1000, 1 << 20);
  t.is(all.count, 100);
  t.deepEqual(
    idsOf(all.data),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  t.deepEqual(payloadsOf(all.data).slice(0, 2), ['1:'.padEnd(40, 'x'), '2:'.padEnd(40, 'x')]);
  for (const start of [7, 33, 64])
    t.deepEqual(
      idsOf((await log.read(start, 30, 1 << 20)).data),
      Array.from({ length: 30 }, (_, i) => start + i),
    );
});

test('a batch larger than chunkBytes goes into a chunk of its own, whole', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { chunkBytes: 500 });
  const log = await store.create('alice');
  await log.append(payloads(1, 2, 10));
  await log.append(payloads(3, 20, 100));
  await log.append(payloads(23, 1, 10));
  t.deepEqual(
    readdirSync(join(dir, 'alice')).filter((f) => f.endsWith('.chunk')),
    ['00000000000000000001.chunk', '00000000000000000003.chunk', '00000000000000000023.chunk'],
  );
  t.is((await log.read(1, 100, 1 << 20)).count, 23);
});

test('read before the first retained id is gone with the first id as message', async (t) => {
  const { store } = await openStore(t, tempDir(t), { chunkBytes: 200 });
  const log = await store.create('alice');
  for (let i = 1; i <= 20; i++) await log.append(payloads(i, 1, 50));
  const first = await log.trim(10);
  t.true(first > 1 && first <= 10);
  const err = await t.throwsAsync(async () => log.read(1, 10, 1000));
  t.is((err as LogdError).code, 'gone');
  t.is(err?.message, String(first));
  await t.throwsAsync(log.stampOf(1), { message: String(first) });
});

test('onHead fires after the append resolves, once per round, and unsubscribes', async (t) => {
  const { store } = await openStore(t, tempDir(t), { fsync: { mode: 'always' } });
  const log = await store.create('alice');
  const seen: number[] = [];
  const off = log.onHead((head) => {
    t.is(log.head(), head);
    seen.push(head);
  });
  await log.append(payloads(1, 3));
  t.deepEqual(seen, [3]);
  await Promise.all([log.append(payloads(4, 1)), log.append(payloads(5, 1)), log.append(payloads(6, 1))]);
  t.is(seen[seen.length - 1], 6);
  off();
  await log.append(payloads(7, 1));
  t.is(seen[seen.length - 1], 6);
});

test('group commit: appends queued during a sync share the next write and fsync', async (t) => {
  const { store } = await openStore(t, tempDir(t), { fsync: { mode: 'always' } });
  const log = await store.create('alice');
  const before = store.fsyncs;
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(payloads(i, 2))));
  t.deepEqual(results[0], { first: 1, last: 2 });
  t.deepEqual(results[199], { first: 399, last: 400 });
  t.true(store.fsyncs - before < 20, `${store.fsyncs - before} fsyncs for 200 appends`);
  t.deepEqual(
    idsOf((await log.read(1, 1000, 1 << 20)).data),
    Array.from({ length: 400 }, (_, i) => i + 1),
  );
});

test('fsync always: an atomic batch commits in two fdatasyncs, a run of standalone records in one', async (t) => {
  const { store } = await openStore(t, tempDir(t), { fsync: { mode: 'always' } });
  const log = await store.create('alice');
  let before = store.fsyncs;
  t.deepEqual(await log.append(payloads(1, 5)), { first: 1, last: 5 });
  t.is(store.fsyncs - before, 2, 'atomic: data with the uncommitted mark, then the commit byte');
  before = store.fsyncs;
  t.deepEqual(await log.append(payloads(6, 5), false), { first: 6, last: 10 });
  t.is(store.fsyncs - before, 1, 'standalone records: one round');
  t.deepEqual(
    idsOf((await log.read(1, 100, 1 << 20)).data),
    Array.from({ length: 10 }, (_, i) => i + 1),
  );
});

test('appendFrames keeps ids, timestamps and bytes; rejects bad CRC and wrong ids, storing nothing', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { chunkBytes: 300 });
  const owner = await store.create('alice');
  await owner.append(payloads(1, 10, 30));
  const frames = (await owner.read(1, 10, 1 << 20)).data;
  const replica = await store.create('bob');
  t.deepEqual(await replica.appendFrames(frames.subarray(0, frames.indexOf('REC 4 '))), { first: 1, last: 3 });
  const rest = frames.subarray(frames.indexOf('REC 4 '));
  const badCrc = Buffer.from(rest);
  badCrc[badCrc.indexOf('\r\n') + 3]! ^= 1;
  t.is((await t.throwsAsync<LogdError>(replica.appendFrames(badCrc)))?.code, 'internal');
  const gap = frames.subarray(frames.indexOf('REC 5 '));
  t.is((await t.throwsAsync<LogdError>(replica.appendFrames(gap)))?.code, 'internal');
  await t.throwsAsync(replica.appendFrames(Buffer.from('REC 4 1 2 zz\r\n')));
  t.is(replica.head(), 3);
  t.deepEqual(await replica.appendFrames(rest), { first: 4, last: 10 });
  t.deepEqual((await replica.read(1, 100, 1 << 20)).data, frames);
  t.deepEqual(await replica.stampOf(7), await owner.stampOf(7));
  t.is((await owner.stampOf(2)).crc, payloadCrc(Buffer.from('2:'.padEnd(30, 'x'))));
  await t.throwsAsync(owner.stampOf(11));
});

test('close and reopen keep every record, head and first', async (t) => {
  const dir = tempDir(t);
  for (const fsync of [{ mode: 'always' }, { mode: 'interval', ms: 5 }, { mode: 'none' }] as const) {
    const sub = join(dir, fsync.mode);
    const { store } = await openStore(t, sub, { fsync, chunkBytes: 700 });
    const log = await store.create('alice');
    for (let i = 1; i <= 50; i += 10) await log.append(payloads(i, 10, 20));
    await log.trim(20);
    const first = log.first();
    await store.close();
    await store.close();
    const again = await openStore(t, sub, { fsync, chunkBytes: 700 });
    const reopened = again.store.get('alice')!;
    t.is(reopened.head(), 50);
    t.is(reopened.first(), first);
    t.deepEqual(
      idsOf((await reopened.read(first, 100, 1 << 20)).data),
      Array.from({ length: 51 - first }, (_, i) => first + i),
    );
    t.deepEqual(await reopened.append(payloads(51, 1)), { first: 51, last: 51 });
    t.deepEqual(
      again.lines.filter((l) => l.includes('dropped') && !l.includes('0 bytes dropped')),
      [],
    );
  }
});

test('store: names sorted, create idempotent, invalid names refused, appends after close refused', async (t) => {
  const { store } = await openStore(t, tempDir(t));
  const [a, b] = await Promise.all([store.create('zed'), store.create('zed')]);
  t.is(a, b);
  await store.create('alice.status');
  t.deepEqual(store.names(), ['alice.status', 'zed']);
  t.is(store.get('nobody'), undefined);
  for (const bad of ['../etc', '.hidden', '', 'a/b', 'x'.repeat(65)]) t.is((await t.throwsAsync<LogdError>(store.create(bad)))?.code, 'syntax');
  await store.close();
  t.is((await t.throwsAsync<LogdError>(a.append(payloads(1, 1))))?.code, 'internal');
});

test('one read entry: records in the tail cache come back synchronously, others through a promise, the same bytes', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir);
  const log = await store.create('alice');
  await log.append(payloads(1, 5));
  const cached = log.read(3, 10, 1 << 20);
  t.false(cached instanceof Promise, 'the newest rounds of this process: no promise, no disk read');
  if (cached instanceof Promise) return;
  t.deepEqual(idsOf(cached.data), [3, 4, 5]);
  await store.close();
  // After a restart nothing is cached: the same records come from the file.
  const again = await openStore(t, dir);
  const fromFile = again.store.get('alice')!.read(3, 10, 1 << 20);
  t.true(fromFile instanceof Promise);
  t.true((await fromFile).data.equals(cached.data));
});
