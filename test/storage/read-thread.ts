// Large reads go to the read thread (read-thread.ts), which reads and checks them off the event
// loop. The records must be the same as the event loop's read gives, whatever the byte budget, and
// damage must be found and reported exactly as before: the good records first, then the error.
import test from 'ava';
import fs from 'node:fs';
import { join } from 'node:path';
import { readThread, READ_THREAD_BYTES } from '../../src/storage/read-thread.ts';
import type { Log } from '../../src/storage/log.ts';
import { idsOf, openStore, tempDir } from './_store.ts';

const RECORD = 30_000;
const COUNT = 60;

function payload(i: number): Buffer {
  return Buffer.alloc(RECORD, 97 + (i % 26));
}

/** A log of COUNT large records over several sealed chunks, reopened so that no tail cache holds them. */
async function largeLog(t: import('ava').ExecutionContext): Promise<{ log: Log; dir: string; lines: string[] }> {
  const dir = tempDir(t);
  const first = await openStore(t, dir, { chunkBytes: 512 * 1024 });
  const log = await first.store.create('big');
  for (let i = 1; i <= COUNT; i += 5) await log.append([1, 2, 3, 4, 5].map((k) => payload(i + k - 1)));
  await first.store.close();
  const again = await openStore(t, dir, { chunkBytes: 512 * 1024 });
  return { log: again.store.get('big')!, dir, lines: again.lines };
}

/** Every record from 1, read in steps of `budget` bytes. */
async function readAll(log: Log, budget: number): Promise<{ ids: number[]; payloads: Buffer[] }> {
  const ids: number[] = [];
  const payloads: Buffer[] = [];
  for (let next = 1; next <= log.head(); ) {
    const r = await log.read(next, 10_000, budget);
    ids.push(...idsOf(r.data));
    let pos = 0;
    while (pos < r.data.length) {
      const eol = r.data.indexOf('\r\n', pos);
      const len = Number(r.data.toString('latin1', pos, eol).split(' ')[3]);
      payloads.push(r.data.subarray(eol + 2, eol + 2 + len));
      pos = eol + 2 + len + 2;
    }
    next = r.next;
  }
  return { ids, payloads };
}

test('large reads come from the read thread, record for record the same, whatever the byte budget', async (t) => {
  const { log } = await largeLog(t);
  t.is(log.head(), COUNT);
  const before = readThread.answered;
  for (const budget of [READ_THREAD_BYTES, 300_000, 1 << 20, 4 << 20]) {
    const { ids, payloads } = await readAll(log, budget);
    t.deepEqual(
      ids,
      Array.from({ length: COUNT }, (_, i) => i + 1),
      `budget ${budget}`,
    );
    t.true(
      payloads.every((p, i) => p.equals(payload(i + 1))),
      `budget ${budget}`,
    );
  }
  t.true(readThread.answered > before, 'the read thread answered the large reads');
});

test('a bit flipped in a large read: the good records first, then ERR internal corrupt record, as on the event loop', async (t) => {
  const { log, dir, lines } = await largeLog(t);
  await log.read(1, 1, 1); // opened
  // Record 8 lies in the first sealed chunk (16 records of ~30 KB per 512 KiB chunk).
  const chunk = join(
    dir,
    'big',
    fs
      .readdirSync(join(dir, 'big'))
      .filter((f) => f.endsWith('.chunk'))
      .sort()[0]!,
  );
  const bytes = fs.readFileSync(chunk);
  const header = bytes.indexOf('REC 8 ');
  t.true(header > 0);
  const fd = fs.openSync(chunk, 'r+');
  fs.writeSync(fd, Buffer.from([bytes[header + 100]! ^ 1]), 0, 1, header + 100);
  fs.closeSync(fd);

  const good = await log.read(1, 10_000, 1 << 20);
  t.deepEqual(idsOf(good.data), [1, 2, 3, 4, 5, 6, 7]);
  await t.throwsAsync(() => Promise.resolve(log.read(8, 10_000, 1 << 20)), { message: 'corrupt record 8' });
  t.true(lines.some((l) => /corrupt record 8 in .*\.chunk at byte \d+/.test(l)));
});

test('a sealed chunk cut short under a large read fails the read as on the event loop', async (t) => {
  const { log, dir } = await largeLog(t);
  await log.read(1, 1, 1); // opened
  const chunk = join(
    dir,
    'big',
    fs
      .readdirSync(join(dir, 'big'))
      .filter((f) => f.endsWith('.chunk'))
      .sort()[0]!,
  );
  fs.truncateSync(chunk, fs.readFileSync(chunk).indexOf('REC 10 ') + 50);
  await t.throwsAsync(() => Promise.resolve(log.read(1, 10_000, 1 << 20)), { message: /is shorter than its index/ });
});
