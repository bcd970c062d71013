// A roll under --fsync interval: the old chunk is sealed (synced with its index and the directory)
// in the background, seals one after another; writes go on in new chunks meanwhile. A roll waits
// while UNSYNCED_SEALED_CHUNKS seals are pending; periodic syncs and close wait for all of them.
import test from 'ava';
import { UNSYNCED_SEALED_CHUNKS } from '../../src/storage/durability.ts';
import { io } from '../../src/storage/io.ts';
import { inject } from '../_inject.ts';
import { idsOf, openStore, payloads, tempDir } from './_store.ts';

const realSync = io.fdatasync;
// While the syncs are held, a roll's other steps (index flush, new chunk files, small writes) are
// synchronous or microtask-only: one event-loop turn lets a roll that did not wait finish. No clock.
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test.serial('interval: appends go on while sealed chunks wait for their sync; the roll past the limit waits for the oldest', async (t) => {
  const { store, lines } = await openStore(t, tempDir(t), { fsync: { mode: 'interval', ms: 60_000 }, chunkBytes: 1000 });
  const log = await store.create('alice');
  const events: string[] = [];
  const held: (() => void)[] = [];
  let firstCall!: () => void;
  const called = new Promise<void>((resolve) => (firstCall = resolve));
  const restore = inject(
    t,
    io,
    'fdatasync',
    (fd) =>
      new Promise<void>((resolve) => {
        events.push('sync');
        firstCall();
        held.push(() => void realSync(fd).then(resolve));
      }),
  );
  const release = (what: string) => {
    events.push(what);
    held.shift()!();
  };
  // 10 records of 60 bytes fill a 1000-byte chunk: UNSYNCED_SEALED_CHUNKS rolls, all acknowledged.
  const records = UNSYNCED_SEALED_CHUNKS * 10 + 5;
  for (let id = 1; id <= records; id += 5) t.deepEqual(await log.append(payloads(id, 5, 60)), { first: id, last: id + 4 });
  await called;
  // Every roll has returned: seals started alongside would each have called fdatasync by now.
  t.is(held.length, 1, 'seals run one after another');
  // A batch that needs one more roll waits for the oldest seal.
  const more = log.append(payloads(records + 1, 15, 60)).then((ids) => {
    events.push('more acknowledged');
    return ids;
  });
  await turn();
  release('oldest seal released');
  t.deepEqual(await more, { first: records + 1, last: records + 15 });
  t.deepEqual(events.slice(0, 3), ['sync', 'oldest seal released', 'sync'], 'the next seal starts once the oldest is done');
  t.true(events.indexOf('more acknowledged') > events.indexOf('oldest seal released'), events.join(', '));
  const closing = store.close().then(() => events.push('closed')); // waits for the remaining seals
  await turn();
  restore(); // the seals not started yet sync for real
  release('last held seal released');
  while (held.length > 0) held.shift()!();
  await closing;
  t.true(events.indexOf('closed') > events.indexOf('last held seal released'), events.join(', '));
  t.deepEqual(
    lines.filter((l) => l.includes('failed')),
    [],
  );
  const again = await openStore(t, store.dir, { chunkBytes: 1000 });
  const total = records + 15;
  t.deepEqual(
    idsOf((await again.store.get('alice')!.read(1, 100, 1 << 20)).data),
    Array.from({ length: total }, (_, i) => i + 1),
  );
});
