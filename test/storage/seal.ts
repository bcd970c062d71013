// A roll under --fsync interval: the old chunk is sealed (synced with its index and the directory)
// in the background, seals one after another; writes go on in new chunks meanwhile. A roll waits
// while UNSYNCED_SEALED_CHUNKS seals are pending; periodic syncs and close wait for all of them.
import test from 'ava';
import { UNSYNCED_SEALED_CHUNKS } from '../../src/storage/durability.ts';
import { io } from '../../src/storage/io.ts';
import { idsOf, openStore, payloads, tempDir } from './_store.ts';

const realSync = io.fdatasync;
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test.serial('interval: appends go on while sealed chunks wait for their sync; the roll past the limit waits for the oldest', async (t) => {
  const { store, lines } = await openStore(t, tempDir(t), { fsync: { mode: 'interval', ms: 60_000 }, chunkBytes: 1000 });
  const log = await store.create('alice');
  const held: (() => void)[] = [];
  io.fdatasync = (fd) => new Promise<void>((resolve) => held.push(() => void realSync(fd).then(resolve)));
  t.teardown(() => {
    io.fdatasync = realSync;
  });
  // 10 records of 60 bytes fill a 1000-byte chunk: UNSYNCED_SEALED_CHUNKS rolls, all acknowledged.
  const records = UNSYNCED_SEALED_CHUNKS * 10 + 5;
  for (let id = 1; id <= records; id += 5) t.deepEqual(await log.append(payloads(id, 5, 60)), { first: id, last: id + 4 });
  await tick(20);
  t.is(held.length, 1, 'seals run one after another');
  // A batch that needs one more roll waits for the oldest seal.
  let acknowledged = false;
  const more = log.append(payloads(records + 1, 15, 60)).then((ids) => ((acknowledged = true), ids));
  await tick(50);
  t.false(acknowledged);
  held.shift()!();
  t.deepEqual(await more, { first: records + 1, last: records + 15 });
  let closed = false;
  const closing = store.close().then(() => (closed = true)); // waits for the remaining seals
  await tick(50);
  t.false(closed);
  io.fdatasync = realSync; // the seals not started yet sync for real
  while (held.length > 0) held.shift()!();
  await closing;
  t.deepEqual(lines.filter((l) => l.includes('failed')), []);
  const again = await openStore(t, store.dir, { chunkBytes: 1000 });
  const total = records + 15;
  t.deepEqual(idsOf((await again.store.get('alice')!.read(1, 100, 1 << 20)).data), Array.from({ length: total }, (_, i) => i + 1));
});
