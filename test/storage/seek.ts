// Seek by time in the storage engine, with the clock under the test's control: a clock stepped
// back never breaks the order, equal timestamps give the first of them, and the search is right
// across chunks (sealed ones read from disk after a reopen) and at their boundaries.
import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { newFrameHeader, parseFrame } from '../../protocol/frame.ts';
import type { Log } from '../../src/storage/log.ts';
import { openStore, tempDir } from './_store.ts';

/** Date.now() returns the values the test sets; restored when the test ends. */
function fakeClock(t: { teardown(fn: () => void): void }): { set(ms: number): void } {
  const real = Date.now;
  let now = 0;
  Date.now = () => now;
  t.teardown(() => {
    Date.now = real;
  });
  return { set: (ms) => (now = ms) };
}

async function stamps(log: Log): Promise<number[]> {
  const { data } = await log.read(1, 1_000_000, 1 << 30);
  const h = newFrameHeader();
  const out: number[] = [];
  for (let pos = 0; pos < data.length; ) {
    pos += parseFrame(data, pos, data.length, h);
    out.push(h.ts);
  }
  return out;
}

test.serial('a clock stepped back stamps the previous time; seek finds the first record at or after a time, across chunks and a reopen', async (t) => {
  const clock = fakeClock(t);
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { chunkBytes: 300 });
  const log = await store.create('s');
  // Times per record: rising, equal runs, and a step back (to 1500) that must be stamped 3000.
  const clockAt = [1000, 1000, 2000, 3000, 1500, 1500, 4000, 4000, 4000, 5000, 6000, 7000, 7000, 8000, 9000, 10_000];
  for (const [i, ms] of clockAt.entries()) {
    clock.set(ms);
    await log.append([Buffer.from(`record ${i + 1} padded to make chunks roll`)]);
  }
  const want = [1000, 1000, 2000, 3000, 3000, 3000, 4000, 4000, 4000, 5000, 6000, 7000, 7000, 8000, 9000, 10_000];
  t.deepEqual(await stamps(log), want);
  t.true(readdirSync(join(dir, 's')).filter((f) => f.endsWith('.chunk')).length >= 4, 'several chunks');
  const check = async (l: Log, label: string): Promise<void> => {
    for (const time of [0, 999, 1000, 1001, 2999, 3000, 3001, 4000, 6500, 7000, 10_000, 10_001, 1e13]) {
      const i = want.findIndex((ts) => ts >= time);
      t.is(await l.seek(time), i < 0 ? want.length + 1 : i + 1, `${label}: seek ${time}`);
    }
  };
  await check(log, 'live');
  await store.close();

  const reopened = await openStore(t, dir, { chunkBytes: 300 });
  const again = reopened.store.get('s')!;
  await check(again, 'reopened');
  // After the reopen the clock is behind the head record: the next record gets the head's time.
  clock.set(500);
  t.deepEqual(await again.append([Buffer.from('after the reopen')]), { first: 17, last: 17 });
  t.is((await stamps(again))[16], 10_000);
});

test.serial('seek on an empty log answers 1; on one record, that record or head + 1', async (t) => {
  const clock = fakeClock(t);
  const { store } = await openStore(t, tempDir(t), { chunkBytes: 100 });
  const log = await store.create('e');
  t.is(await log.seek(0), 1);
  clock.set(50);
  await log.append([Buffer.alloc(200, 'a')]);
  t.is(await log.seek(50), 1);
  t.is(await log.seek(51), 2);
});
