// The durable point after a crash (protocol/STORAGE.md, "The durable point"): recovery leaves
// DURABLE as it found it (no fdatasync per recovered log, so thousands of logs recover in a
// fraction of a second); the log's first write of the new run settles it: the crashed tail is
// synced (always, interval) and the marker names this run's policy and boot.
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import { join } from 'node:path';
import { currentBoot, readDurable, writeDurable, type DurablePoint } from '../../src/storage/durable.ts';
import type { FsyncPolicy } from '../../src/storage/policy.ts';
import { openStore, payloads, tempDir } from './_store.ts';

/** A log of 30 records written and closed, then its marker set back to `crashed`, as if the process had been killed after writing. */
async function crashed(t: ExecutionContext, marker: (size: number) => DurablePoint): Promise<{ dir: string; logDir: string; size: number }> {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { fsync: { mode: 'interval', ms: 60_000 } });
  const log = await store.create('alice');
  for (let i = 0; i < 3; i++) await log.append(payloads(1 + i * 10, 10));
  await store.close();
  const logDir = join(dir, 'alice');
  const size = fs.statSync(join(logDir, '00000000000000000001.chunk')).size;
  await writeDurable(logDir, marker(size), false);
  return { dir, logDir, size };
}

async function reopen(t: ExecutionContext, dir: string, fsync: FsyncPolicy) {
  const opened = await openStore(t, dir, { fsync });
  await opened.store.allRecovered();
  return { ...opened, log: opened.store.get('alice')! };
}

for (const fsync of [{ mode: 'always' }, { mode: 'interval', ms: 60_000 }] as FsyncPolicy[]) {
  test(`fsync ${fsync.mode}: recovery after a kill leaves DURABLE as found; the first write syncs the tail and moves it to the end, under this run's policy`, async (t) => {
    const killed = (size: number): DurablePoint => ({ policy: 'none', boot: currentBoot(), chunk: 1, bytes: Math.floor(size / 2) });
    const { dir, logDir, size } = await crashed(t, killed);
    const { log } = await reopen(t, dir, fsync);
    t.deepEqual(readDurable(logDir), killed(size), 'recovered, and read, but not written: the marker is untouched');
    t.is((await log.read(1, 100, 1 << 20)).count, 30);
    t.deepEqual(readDurable(logDir), killed(size));
    t.deepEqual(await log.append(payloads(31, 1)), { first: 31, last: 31 });
    t.deepEqual(readDurable(logDir), { policy: fsync.mode, boot: currentBoot(), chunk: 1, bytes: size });
  });
}

test("fsync none: the first write keeps the old point (nothing synced) and records this run's policy and boot", async (t) => {
  const earlier = (size: number): DurablePoint => ({ policy: 'interval', boot: 'an-earlier-boot', chunk: 1, bytes: Math.floor(size / 3) });
  const { dir, logDir, size } = await crashed(t, earlier);
  const { log } = await reopen(t, dir, { mode: 'none' });
  t.deepEqual(readDurable(logDir), earlier(size));
  await log.append(payloads(31, 1));
  t.deepEqual(readDurable(logDir), { policy: 'none', boot: currentBoot(), chunk: 1, bytes: Math.floor(size / 3) });
});

test("a marker already at the end under this run's policy and boot is not rewritten by the first write", async (t) => {
  const clean = (size: number): DurablePoint => ({ policy: 'always', boot: currentBoot(), chunk: 1, bytes: size });
  const { dir, logDir, size } = await crashed(t, clean);
  const before = fs.statSync(join(logDir, 'DURABLE')).mtimeMs;
  const { log } = await reopen(t, dir, { mode: 'always' });
  await log.append(payloads(31, 1));
  t.deepEqual(readDurable(logDir), clean(size));
  t.is(fs.statSync(join(logDir, 'DURABLE')).mtimeMs, before);
});
