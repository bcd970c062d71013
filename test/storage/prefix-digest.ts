import test from 'ava';
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DIGEST_FILE } from '../../src/storage/prefix-digest.ts';
import { openStore, payloads, tempDir } from './_store.ts';

/** digest(n) by its definition: the CRC-32 of the header lines of records 1..n back to back. */
function expectedDigests(frames: Buffer): number[] {
  const out = [0];
  for (let pos = 0; pos < frames.length; ) {
    const eol = frames.indexOf('\r\n', pos) + 2;
    out.push(crc32(frames.subarray(pos, eol), out[out.length - 1]) >>> 0); // zlib's running CRC: the CRC of the concatenation
    pos = eol + Number(frames.toString('latin1', pos, eol).split(' ')[3]) + 2;
  }
  return out;
}

const N = 10_000;
const probes = [0, 1, 2, 4095, 4096, 4097, 8192, 9000, N];

test('the prefix digest is the CRC-32 of all header lines so far: across chunks, checkpoints, reopen, trim', async (t) => {
  const dir = tempDir(t);
  let expected: number[];
  {
    const { store } = await openStore(t, dir, { chunkBytes: 64 * 1024 });
    const log = await store.create('alice');
    for (let i = 0; i < N; i += 500) await log.append(payloads(i + 1, 500, 20 + (i % 7)));
    expected = expectedDigests((await log.read(1, N, 1 << 30)).data);
    for (const id of [N, ...probes]) t.is(await log.digests.digestOf(id), expected[id]!, `digest(${id})`);
    await store.close();
  }
  // The checkpoints went to the file (a cache: every 4096th id).
  t.deepEqual(
    readFileSync(join(dir, 'alice', DIGEST_FILE), 'latin1')
      .trim()
      .split('\n')
      .map((l) => Number(l.split(' ')[0])),
    [4096, 8192],
  );

  const { store } = await openStore(t, dir, { chunkBytes: 64 * 1024 });
  const log = store.get('alice')!;
  for (const id of probes) t.is(await log.digests.digestOf(id), expected[id]!, `digest(${id}) after reopen`);
  // Trimmed: what went is no longer readable, yet the digests of what stays are still known.
  const first = await log.trim(6000);
  t.true(first > 4097 && first <= 6000);
  for (const id of [first - 1, first, 9000, N]) t.is(await log.digests.digestOf(id), expected[id]!, `digest(${id}) after trim`);
  t.is(await log.digests.digestOf(100), null, 'below the trim point it cannot be known');
  await store.close();
  const again = await openStore(t, dir, { chunkBytes: 64 * 1024 });
  t.is(await again.store.get('alice')!.digests.digestOf(N), expected[N]!, 'after trim and reopen');
});

test('a point in the file whose record was written again is not used; a trimmed log without one has no digest', async (t) => {
  const dir = tempDir(t);
  {
    const { store } = await openStore(t, dir, { chunkBytes: 64 * 1024 });
    const log = await store.create('alice');
    for (let i = 0; i < N; i += 500) await log.append(payloads(i + 1, 500));
    await store.close();
  }
  // As if an earlier life computed a point for record 4096 before a crash cut it and it was written again.
  appendFileSync(join(dir, 'alice', DIGEST_FILE), '4096 deadbeef 1 12 00000000\n');
  const { store } = await openStore(t, dir, { chunkBytes: 64 * 1024 });
  const log = store.get('alice')!;
  const expected = expectedDigests((await log.read(1, N, 1 << 30)).data);
  t.is(await log.digests.digestOf(5000), expected[5000]!);
  await log.trim(6000);
  await store.close();

  // A log trimmed by an older logd: no file, no digest; the resume check falls back to the stamp.
  rmSync(join(dir, 'alice', DIGEST_FILE));
  const old = await openStore(t, dir, { chunkBytes: 64 * 1024 });
  t.is(await old.store.get('alice')!.digests.digestOf(N), null);
});
