// Reads block while they come from the page cache and go through the thread pool for a sealed
// chunk once one of its reads was slow (it came from the disk): cold data cannot stall the loop.
import test from 'ava';
import { io } from '../../src/storage/io.ts';
import { idsOf, openStore, payloads, tempDir } from './_store.ts';

const realRead = io.read;
const realReadCached = io.readCached;

test.serial('a slow blocking read sends that sealed chunk to the thread pool; the active chunk keeps blocking reads', async (t) => {
  const { store } = await openStore(t, tempDir(t), { chunkBytes: 4096 });
  const log = await store.create('alice');
  for (let i = 0; i < 10; i++) await log.append(payloads(i * 10 + 1, 10, 50)); // 3 chunks of ~48 records
  const head = log.head();
  let blocking = 0;
  let pooled = 0;
  let slow = false;
  io.readCached = (fd, buf, off, len, pos) => {
    blocking++;
    if (slow) {
      const until = performance.now() + 5;
      while (performance.now() < until); // a read that had to wait for the disk
    }
    return realReadCached(fd, buf, off, len, pos);
  };
  io.read = (fd, buf, off, len, pos) => {
    pooled++;
    return realRead(fd, buf, off, len, pos);
  };
  t.teardown(() => {
    io.read = realRead;
    io.readCached = realReadCached;
  });
  t.deepEqual(idsOf((await log.read(1, 5, 1 << 20)).data), [1, 2, 3, 4, 5]);
  t.true(blocking > 0);
  t.is(pooled, 0);
  slow = true;
  await log.read(6, 1, 1 << 20); // slow: the first chunk is cold from now on
  slow = false;
  blocking = 0;
  t.deepEqual(idsOf((await log.read(7, 2, 1 << 20)).data), [7, 8]);
  t.is(blocking, 0);
  t.true(pooled > 0);
  pooled = 0;
  t.deepEqual(idsOf((await log.read(head, 1, 1 << 20)).data), [head]); // the active chunk
  t.is(pooled, 0);
});
