// Corrupt-tail fixtures: damage the files of a closed log, reopen, and check that every intact
// record is kept, the damage is cut off (and reported in one line), and appends continue.
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import { join } from 'node:path';
import { UNSYNCED_SEALED_CHUNKS } from '../../src/storage/durability.ts';
import { writeDurable } from '../../src/storage/durable.ts';
import { idsOf, openStore, payloads, payloadsOf, tempDir } from './_store.ts';

const CHUNK_BYTES = 1000;
const RECORDS = 120; // in 8 chunks: more than UNSYNCED_SEALED_CHUNKS + 1

/** A closed store with RECORDS records of 30 bytes in several chunks; returns the log directory and its chunk files. */
async function fixture(t: ExecutionContext): Promise<{ dir: string; logDir: string; chunks: string[] }> {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { chunkBytes: CHUNK_BYTES });
  const log = await store.create('alice');
  for (let i = 1; i <= RECORDS; i += 4) await log.append(payloads(i, 4, 30));
  await store.close();
  const logDir = join(dir, 'alice');
  const chunks = fs
    .readdirSync(logDir)
    .filter((f) => f.endsWith('.chunk'))
    .sort();
  return { dir, logDir, chunks };
}

async function reopen(t: ExecutionContext, dir: string) {
  const opened = await openStore(t, dir, { chunkBytes: CHUNK_BYTES });
  return { ...opened, log: opened.store.get('alice')! };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * As after a power loss under --fsync none/interval: the last sync covered the log up to chunk
 * `chunk` (a file name) byte `bytes`, in another boot. What follows may be torn, so recovery may cut it.
 * (Without this, the fixture's clean close made every byte durable: the same damage is then
 * refused as damage, see test/storage/damage.ts.)
 */
async function powerLostAfterSync(logDir: string, chunk: string, bytes = 0): Promise<void> {
  await writeDurable(logDir, { policy: 'interval', boot: 'an-earlier-boot', chunk: Number(chunk.slice(0, 20)), bytes }, false);
}

function idxOf(chunk: string): string {
  return chunk.replace('.chunk', '.idx');
}

test('garbage appended to the active chunk is cut off and reported', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  fs.appendFileSync(join(logDir, chunks[chunks.length - 1]!), 'garbage that is not a frame\r\n');
  const { log, lines } = await reopen(t, dir);
  t.is(log.head(), RECORDS);
  t.deepEqual(
    lines.filter((l) => l.includes('log alice')),
    ['storage: log alice: dropped 29 bytes of torn, corrupt or uncommitted tail; repaired 0 index files'],
  );
  t.deepEqual(await log.append(payloads(RECORDS + 1, 1)), { first: RECORDS + 1, last: RECORDS + 1 });
  t.deepEqual(idsOf((await log.read(1, 1000, 1 << 20)).data), range(1, RECORDS + 1));
});

test('a chunk cut in the middle of a record loses only that record', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  const path = join(logDir, chunks[chunks.length - 1]!);
  fs.truncateSync(path, fs.statSync(path).size - 7);
  await powerLostAfterSync(logDir, chunks[chunks.length - 1]!);
  const { log, lines, store } = await reopen(t, dir);
  t.is(log.head(), RECORDS - 1);
  await store.allRecovered();
  t.is(lines.filter((l) => l.includes('dropped')).length, 2); // the log's line and the summary
  t.deepEqual(await log.append([Buffer.from('after')]), { first: RECORDS, last: RECORDS });
  const all = await log.read(1, 1000, 1 << 20);
  t.deepEqual(idsOf(all.data), range(1, RECORDS));
  t.is(payloadsOf(all.data)[RECORDS - 1], 'after');
});

test('a zeroed tail is cut at the first damaged record', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  const path = join(logDir, chunks[chunks.length - 1]!);
  const data = fs.readFileSync(path);
  const lastTwo = data.lastIndexOf(`REC ${RECORDS - 1} `);
  data.fill(0, lastTwo + 10);
  fs.writeFileSync(path, data);
  await powerLostAfterSync(logDir, chunks[chunks.length - 1]!);
  const { log } = await reopen(t, dir);
  t.is(log.head(), RECORDS - 2);
  t.deepEqual(await log.append(payloads(1, 1)), { first: RECORDS - 1, last: RECORDS - 1 });
});

test('a flipped payload byte in the tail fails its CRC and ends the log there', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  const path = join(logDir, chunks[chunks.length - 1]!);
  const data = fs.readFileSync(path);
  const at = data.lastIndexOf(`REC ${RECORDS} `);
  data[data.indexOf('\r\n', at) + 5]! ^= 0x20;
  fs.writeFileSync(path, data);
  fs.truncateSync(join(logDir, idxOf(chunks[chunks.length - 1]!)), 0);
  await powerLostAfterSync(logDir, chunks[chunks.length - 1]!);
  const { log } = await reopen(t, dir);
  t.is(log.head(), RECORDS - 1);
});

test('an uncommitted group (first byte X) is dropped with everything after it', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  const path = join(logDir, chunks[chunks.length - 1]!);
  const data = fs.readFileSync(path);
  const at = data.lastIndexOf(`REC ${RECORDS - 3} `);
  t.true(at >= 0);
  data[at] = 'X'.charCodeAt(0);
  fs.writeFileSync(path, data);
  // As after a kill: the index never covers a group that was not committed.
  const idx = join(logDir, idxOf(chunks[chunks.length - 1]!));
  fs.truncateSync(idx, fs.statSync(idx).size - 4 * 8);
  const { log, lines } = await reopen(t, dir);
  t.is(log.head(), RECORDS - 4);
  t.true(lines.some((l) => l.includes(`dropped ${data.length - at} bytes`)));
});

test('missing index files are rebuilt from the chunks', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  for (const chunk of chunks) fs.rmSync(join(logDir, idxOf(chunk)));
  const { log, lines } = await reopen(t, dir);
  t.is(log.head(), RECORDS);
  t.true(lines.some((l) => l.includes(`repaired ${chunks.length - 1} index files`)));
  for (const chunk of chunks) t.true(fs.existsSync(join(logDir, idxOf(chunk))));
  for (const start of [1, 9, 17, 33]) t.deepEqual(idsOf((await log.read(start, 5, 1 << 20)).data), range(start, start + 4));
});

test('short, ragged and too-long index files are repaired', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  const sizes = chunks.map((c) => fs.statSync(join(logDir, idxOf(c))).size);
  fs.truncateSync(join(logDir, idxOf(chunks[0]!)), sizes[0]! - 8);
  fs.truncateSync(join(logDir, idxOf(chunks[1]!)), sizes[1]! - 3);
  fs.appendFileSync(join(logDir, idxOf(chunks[2]!)), Buffer.alloc(16, 0xff));
  fs.appendFileSync(join(logDir, idxOf(chunks[chunks.length - 1]!)), Buffer.alloc(24, 0x01));
  const { log, lines } = await reopen(t, dir);
  t.true(lines.some((l) => l.includes('repaired 4 index files')));
  t.deepEqual(
    chunks.map((c) => fs.statSync(join(logDir, idxOf(c))).size),
    sizes,
  );
  t.deepEqual(idsOf((await log.read(1, 1000, 1 << 20)).data), range(1, RECORDS));
});

test('index entries that point at the wrong records are found by binary search and rebuilt', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  const idx = join(logDir, idxOf(chunks[chunks.length - 1]!));
  const entries = fs.readFileSync(idx);
  t.true(entries.length >= 32);
  // Still increasing and inside the chunk, but shifted by one byte from the third entry on.
  for (let off = 16; off < entries.length; off += 8) entries.writeUInt32LE(entries.readUInt32LE(off) + 1, off);
  fs.writeFileSync(idx, entries);
  const { log, lines } = await reopen(t, dir);
  t.true(lines.some((l) => l.includes('repaired 1 index files')));
  t.deepEqual(fs.readFileSync(idx).subarray(16, 24).readUInt32LE(0), entries.readUInt32LE(16) - 1);
  t.deepEqual(idsOf((await log.read(1, 1000, 1 << 20)).data), range(1, RECORDS));
});

test('garbage after the last record of a sealed chunk is cut off', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  fs.appendFileSync(join(logDir, chunks[0]!), 'REC 99 0 1 00000000\r\n');
  const { log, lines } = await reopen(t, dir);
  t.true(lines.some((l) => l.includes('dropped 21 bytes')));
  t.deepEqual(idsOf((await log.read(1, 1000, 1 << 20)).data), range(1, RECORDS));
});

test('a sealed chunk that lost records is not opened (damage, nothing cut), naming the chunk', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  const path = join(logDir, chunks[0]!);
  const size = fs.statSync(path).size - 5;
  fs.truncateSync(path, size);
  const { store, lines } = await openStore(t, dir, { chunkBytes: CHUNK_BYTES });
  t.is(store.get('alice'), undefined);
  t.regex(store.damage('alice')?.message ?? '', new RegExp(`^alice is damaged: alice/${chunks[0]!} \\d+$`));
  t.true(
    lines.some((l) => l.includes(`${join(logDir, chunks[0]!)} at byte`) && l.includes('ends at id')),
    lines.join('\n'),
  );
  t.is(fs.statSync(path).size, size);
  t.is(fs.readdirSync(logDir).filter((f) => f.endsWith('.chunk')).length, chunks.length);
});

test('a torn chunk among the newest sealed ones (power loss during their background seal) ends the log there; later chunks go', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  t.true(chunks.length > UNSYNCED_SEALED_CHUNKS + 1);
  const tornAt = chunks.length - 1 - UNSYNCED_SEALED_CHUNKS; // the oldest that may be unsynced
  const torn = join(logDir, chunks[tornAt]!);
  fs.truncateSync(torn, fs.statSync(torn).size - 5); // its last record is cut
  const head = Number(chunks[tornAt + 1]!.slice(0, 20)) - 2;
  await powerLostAfterSync(logDir, chunks[tornAt]!);
  const { log, lines } = await reopen(t, dir);
  t.is(log.head(), head);
  t.true(
    lines.some((l) => l.includes('log alice: dropped') && l.includes(`(and ${UNSYNCED_SEALED_CHUNKS} chunks after a torn sealed chunk)`)),
    lines.join('\n'),
  );
  for (const later of chunks.slice(tornAt + 1)) {
    t.false(fs.existsSync(join(logDir, later)));
    t.false(fs.existsSync(join(logDir, idxOf(later))));
  }
  t.deepEqual(await log.append(payloads(head + 1, 2, 30)), { first: head + 1, last: head + 2 });
  t.deepEqual(idsOf((await log.read(1, 1000, 1 << 20)).data), range(1, head + 2));
});

test('an empty active chunk (crash right after a roll) and a log directory without chunks open', async (t) => {
  const { dir, logDir } = await fixture(t);
  fs.writeFileSync(join(logDir, `${String(RECORDS + 1).padStart(20, '0')}.chunk`), '');
  fs.mkdirSync(join(dir, 'bob'));
  const { store, log } = await reopen(t, dir);
  t.is(log.head(), RECORDS);
  t.deepEqual(await log.append(payloads(1, 1)), { first: RECORDS + 1, last: RECORDS + 1 });
  const bob = store.get('bob')!;
  t.is(bob.head(), 0);
  t.is(bob.first(), 1);
  t.deepEqual(await bob.append(payloads(1, 1)), { first: 1, last: 1 });
});

test('a corrupt record inside the log is an error on read, never data', async (t) => {
  const { dir, logDir, chunks } = await fixture(t);
  const path = join(logDir, chunks[0]!);
  const data = fs.readFileSync(path);
  data[data.indexOf('REC 2 ') + 40]! ^= 1;
  fs.writeFileSync(path, data);
  const { log, lines } = await reopen(t, dir);
  t.is(log.head(), RECORDS);
  t.deepEqual(idsOf((await log.read(1, 1, 1 << 20)).data), [1]);
  t.deepEqual(idsOf((await log.read(1, 10, 1 << 20)).data), [1], 'the good records before it are returned');
  await t.throwsAsync(async () => log.read(2, 1, 1 << 20), { message: 'corrupt record 2' });
  t.true(
    lines.some((l) => l.includes(`log alice: corrupt record 2 in ${path} at byte`)),
    lines.join('\n'),
  );
});

test('a chunk with thousands of records and a record larger than the scan block recovers', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { chunkBytes: 64 << 20, maxMsg: 3 << 20 });
  const log = await store.create('alice');
  for (let i = 0; i < 5; i++) await log.append(payloads(1 + i * 1000, 1000, 20));
  const big = Buffer.alloc(2.5 * (1 << 20), 'b');
  await log.append([big]);
  await log.append(payloads(5002, 1));
  await store.close();
  fs.rmSync(join(dir, 'alice', '00000000000000000001.idx'));
  const { log: again, lines } = await reopen(t, dir);
  t.is(again.head(), 5002);
  t.false(lines.some((l) => l.includes('log alice')));
  t.is((await again.read(5000, 3, 1 << 20)).count, 1); // the big one does not fit in 1 MiB
  const r = await again.read(5000, 3, 4 << 20);
  t.is(r.count, 3);
  t.deepEqual(payloadsOf(r.data)[1], big.toString('latin1'));
  t.deepEqual(idsOf((await again.read(2345, 3, 1 << 20)).data), [2345, 2346, 2347]);
});
