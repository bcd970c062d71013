// Write and sync failures, injected through the storage io seam: a failed group is rejected as a
// whole with a mappable error, the log stays consistent, and appends work again afterwards.
import test from 'ava';
import { errorCodeOf } from '../../protocol/errors.ts';
import { io } from '../../src/storage/io.ts';
import { GATHER_BYTES } from '../../src/storage/round.ts';
import { inject } from '../_inject.ts';
import { idsOf, openStore, payloads, tempDir } from './_store.ts';

// Every fault goes in through inject(): undone in t.teardown whatever the test's outcome.
const realWrite = io.write;

/** Resolves once `done()` holds (checked every 5 ms). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

// Small records are framed into one buffer; records of GATHER_BYTES or more are written in place
// (several pieces, and through the thread pool past 256 KiB): a short write must be undone either way.
for (const [what, size] of [
  ['small records', 10],
  ['large records written in place', GATHER_BYTES + 100],
] as const) {
  test.serial(`ENOSPC on write rejects every append of the group as full; later appends reuse the ids (${what})`, async (t) => {
    const dir = tempDir(t);
    const { store } = await openStore(t, dir, { fsync: { mode: 'always' } });
    const log = await store.create('alice');
    await log.append(payloads(1, 2, size));
    const restore = inject(t, io, 'write', async (fd, pieces, pos) => {
      const bytes = Buffer.concat(pieces);
      await realWrite(fd, [bytes.subarray(0, bytes.length >> 1)], pos); // a partial write, then the disk is full
      throw enospc();
    });
    const heads: number[] = [];
    log.onHead((h) => heads.push(h));
    const results = await Promise.allSettled([log.append(payloads(3, 2, size)), log.append(payloads(5, 1, size))]);
    for (const r of results) t.is(r.status === 'rejected' && errorCodeOf(r.reason), 'full');
    t.is(log.head(), 2);
    t.deepEqual(heads, []);
    restore();
    t.deepEqual(await log.append(payloads(3, 1, size)), { first: 3, last: 3 });
    t.deepEqual(idsOf((await log.read(1, 10, 1 << 20)).data), [1, 2, 3]);
    await store.close();
    const again = await openStore(t, dir);
    t.deepEqual(idsOf((await again.store.get('alice')!.read(1, 10, 1 << 20)).data), [1, 2, 3]);
  });
}

test.serial('a failed fdatasync is never reported as success and the records are not kept', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { fsync: { mode: 'always' } });
  const log = await store.create('alice');
  await log.append(payloads(1, 1));
  const restore = inject(t, io, 'fdatasync', async () => {
    throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  });
  const err = await t.throwsAsync(log.append(payloads(2, 3)));
  t.is(errorCodeOf(err), 'internal');
  t.is(log.head(), 1);
  t.is((await log.read(2, 10, 1 << 20)).count, 0);
  restore();
  t.deepEqual(await log.append(payloads(2, 1)), { first: 2, last: 2 });
  await store.close();
  const again = await openStore(t, dir);
  t.is(again.store.get('alice')!.head(), 2);
});

test.serial('a failed roll rejects the batch that needed the new chunk and leaves the log usable', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { fsync: { mode: 'always' }, chunkBytes: 200 });
  const log = await store.create('alice');
  await log.append(payloads(1, 2, 50));
  const restore = inject(t, io, 'fdatasync', async () => {
    throw enospc();
  });
  t.is(errorCodeOf(await t.throwsAsync(log.append(payloads(3, 2, 50)))), 'full');
  restore();
  t.deepEqual(await log.append(payloads(3, 2, 50)), { first: 3, last: 4 });
  t.deepEqual(idsOf((await log.read(1, 10, 1 << 20)).data), [1, 2, 3, 4]);
});

test.serial('a roll that fails after the new chunk exists keeps the old chunk active and retries', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { fsync: { mode: 'always' }, chunkBytes: 200 });
  const log = await store.create('alice');
  await log.append(payloads(1, 2, 50));
  const realFsync = io.fsync;
  let fsyncs = 0;
  const restore = inject(t, io, 'fsync', async (fd) => {
    // The roll fsyncs the old index, then the log directory: fail the directory.
    if (++fsyncs === 2) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    return realFsync(fd);
  });
  t.is(errorCodeOf(await t.throwsAsync(log.append(payloads(3, 2, 50)))), 'internal');
  restore();
  t.deepEqual(await log.append(payloads(3, 2, 50)), { first: 3, last: 4 });
  t.deepEqual(idsOf((await log.read(1, 10, 1 << 20)).data), [1, 2, 3, 4]);
  await store.close();
  const again = await openStore(t, dir, { chunkBytes: 200 });
  t.deepEqual(idsOf((await again.store.get('alice')!.read(1, 10, 1 << 20)).data), [1, 2, 3, 4]);
});

test.serial('interval policy acknowledges after the write and syncs later; sync failures are logged', async (t) => {
  const dir = tempDir(t);
  const { store, lines } = await openStore(t, dir, { fsync: { mode: 'interval', ms: 20 } });
  const log = await store.create('alice');
  const before = store.fsyncs;
  await log.append(payloads(1, 1));
  t.is(store.fsyncs, before);
  await until(() => store.fsyncs === before + 1);
  const restore = inject(t, io, 'fdatasync', async () => {
    throw enospc();
  });
  await log.append(payloads(2, 1));
  await until(() => lines.some((l) => l.includes('periodic fdatasync') && l.includes('ENOSPC')));
  t.is(log.head(), 2);
  restore();
});

test.serial('interval policy: a steady stream of appends does not starve the periodic sync', async (t) => {
  const { store } = await openStore(t, tempDir(t), { fsync: { mode: 'interval', ms: 5 } });
  const log = await store.create('alice');
  const started = store.fsyncs;
  let appends = 0;
  // Eight writers keep the queue non-empty until a periodic sync has run (or 20000 appends).
  const lane = async (): Promise<void> => {
    while (store.fsyncs === started && appends < 20000) {
      appends++;
      await log.append(payloads(appends, 1));
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  t.true(store.fsyncs > started, `no sync during ${appends} appends`);
});

test.serial('a throwing head listener is logged and does not break the log', async (t) => {
  const { store, lines } = await openStore(t, tempDir(t));
  const log = await store.create('alice');
  log.onHead(() => {
    throw new Error('listener bug');
  });
  const seen: number[] = [];
  log.onHead((h) => seen.push(h));
  await log.append(payloads(1, 1));
  t.deepEqual(seen, [1]);
  t.true(lines.some((l) => l.includes('head listener failed') && l.includes('listener bug')));
});
