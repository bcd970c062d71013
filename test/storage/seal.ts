// A roll under --fsync interval: the old chunk is sealed (synced with its index and the directory)
// in the background; writes go on in the new chunk meanwhile. The next roll, the periodic sync and
// close wait for the seal, so at most the newest sealed chunk is ever unsynced.
import test from 'ava';
import { io } from '../../src/storage/io.ts';
import { idsOf, openStore, payloads, tempDir } from './_store.ts';

const realSync = io.fdatasync;

test.serial('interval: appends after a roll are acknowledged while the old chunk is still being synced', async (t) => {
  const { store, lines } = await openStore(t, tempDir(t), { fsync: { mode: 'interval', ms: 60_000 }, chunkBytes: 1000 });
  const log = await store.create('alice');
  const held: (() => void)[] = [];
  io.fdatasync = (fd) => new Promise<void>((resolve) => held.push(() => void realSync(fd).then(resolve)));
  t.teardown(() => {
    io.fdatasync = realSync;
  });
  await log.append(payloads(1, 10, 60)); // fills most of the first chunk
  t.deepEqual(await log.append(payloads(11, 10, 60)), { first: 11, last: 20 }); // rolled: acknowledged, seal pending
  t.is(held.length, 1);
  // Filling the second chunk needs a second roll, which waits for the first seal.
  let rolled = false;
  const more = log.append(payloads(21, 20, 60)).then((ids) => ((rolled = true), ids));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.false(rolled);
  held.shift()!();
  t.deepEqual(await more, { first: 21, last: 40 });
  const closed = store.close(); // waits for the second seal
  await new Promise((resolve) => setTimeout(resolve, 20));
  while (held.length > 0) held.shift()!();
  io.fdatasync = realSync;
  await closed;
  t.deepEqual(lines.filter((l) => l.includes('failed')), []);
  const again = await openStore(t, store.dir, { chunkBytes: 1000 });
  t.deepEqual(idsOf((await again.store.get('alice')!.read(1, 100, 1 << 20)).data), Array.from({ length: 40 }, (_, i) => i + 1));
});
