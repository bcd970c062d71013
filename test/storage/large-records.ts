// Rounds holding large payloads: those are written in place between slices of the round's buffer
// (round.ts), and rounds past 256 KiB go through the thread pool (io.ts). The bytes on disk must be
// exactly what framing every record into one buffer gives, whatever the mix of sizes.
import test from 'ava';
import { frameLength, newFrameHeader, parseFrame, payloadCrc, writeFrame } from '../../protocol/frame.ts';
import { Pieces } from '../../protocol/pieces.ts';
import { IndexBuffer } from '../../src/storage/index-buffer.ts';
import type { BatchRecords } from '../../src/storage/batch.ts';
import { encodeRound, GATHER_BYTES } from '../../src/storage/round.ts';
import { idsOf, openStore, payloadsOf, tempDir } from './_store.ts';

const TS = 1_700_000_000_000;

function sized(size: number, seed: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buf[i] = 97 + ((seed + i) % 26);
  return buf;
}

/** The reference: every record framed into one buffer. */
function framed(payloads: Buffer[], firstId: number): Buffer {
  const buf = Buffer.alloc(payloads.reduce((n, p, i) => n + frameLength(firstId + i, TS, p.length), 0));
  let pos = 0;
  for (const [i, p] of payloads.entries()) pos = writeFrame(buf, pos, firstId + i, TS, p, payloadCrc(p));
  return buf;
}

function frameStarts(bytes: Buffer): number[] {
  const header = newFrameHeader();
  const starts: number[] = [];
  for (let pos = 0; pos < bytes.length; pos += parseFrame(bytes, pos, bytes.length, header)) starts.push(pos);
  return starts;
}

function indexEntries(index: IndexBuffer): number[] {
  const bytes = index.bytes(0, index.length);
  return Array.from({ length: index.length }, (_, i) => bytes.readUInt32LE(i * 8));
}

test('a round with large payloads writes the same bytes as one framed buffer, without copying them', (t) => {
  const first = [sized(10, 1), sized(GATHER_BYTES, 2), sized(5, 3), sized(GATHER_BYTES - 1, 4)];
  const stored = framed([sized(70_000, 5), sized(0, 6)], 5); // a replica's frames, ids 5-6
  const last = [sized(100_000, 7), sized(GATHER_BYTES + 1, 8)];
  // MSG texts kept in the socket reads they came in: a large one (written in place), a small one (copied).
  const split = [sized(40_000, 9), sized(25_000, 10), sized(1, 11)];
  const smallSplit = [sized(100, 12), sized(50, 13)];
  const pieced = [new Pieces(split, 65_001), new Pieces(smallSplit, 150)];
  const batches: BatchRecords[] = [
    { kind: 'payloads', payloads: first, firstId: 1 },
    { kind: 'frames', frames: stored, firstId: 5 },
    { kind: 'payloads', payloads: last, firstId: 7 },
    { kind: 'payloads', payloads: pieced, firstId: 9 },
  ];
  const expected = Buffer.concat([framed(first, 1), stored, framed(last, 7), framed([Buffer.concat(split), Buffer.concat(smallSplit)], 9)]);
  const index = new IndexBuffer();
  const start = 1000;
  const { pieces, whole } = encodeRound(batches, expected.length, start, TS, index, false);
  t.is(whole, null);
  t.true(Buffer.concat(pieces).equals(expected));
  // The large payloads are the caller's buffers, not copies.
  for (const p of [first[1]!, last[0]!, last[1]!, ...split]) t.true(pieces.includes(p));
  for (const p of [first[3]!, ...smallSplit]) t.false(pieces.includes(p)); // under the threshold: copied
  t.deepEqual(
    indexEntries(index),
    frameStarts(expected).map((p) => start + p),
  );
});

test('a round of small payloads is one buffer, kept whole for the tail cache; marked rounds start with X', (t) => {
  const payloads = [sized(10, 1), sized(GATHER_BYTES - 1, 2)];
  const expected = framed(payloads, 1);
  for (const marked of [false, true]) {
    const { pieces, whole } = encodeRound([{ kind: 'payloads', payloads, firstId: 1 }], expected.length, 0, TS, new IndexBuffer(), marked);
    t.is(pieces.length, 1);
    t.is(whole, pieces[0]!);
    t.is(String.fromCharCode(whole![0]!), marked ? 'X' : 'R');
    t.true(whole!.subarray(1).equals(expected.subarray(1)));
  }
  const large = [sized(GATHER_BYTES, 3)];
  const { pieces } = encodeRound([{ kind: 'payloads', payloads: large, firstId: 1 }], framed(large, 1).length, 0, TS, new IndexBuffer(), true);
  t.is(String.fromCharCode(pieces[0]![0]!), 'X');
});

test('large and small records mixed round-trip through appends, chunk rolls and a reopen', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, dir, { chunkBytes: 1 << 20 });
  const log = await store.create('alice');
  const sizes = [10, 300_000, 20, GATHER_BYTES, 70_000, 0, 5, 900_000, GATHER_BYTES - 1, 400_000, 1, 65_536];
  const all = sizes.map((size, i) => sized(size, i));
  // Concurrent calls share rounds: atomic batches and runs of single records, as the server makes them.
  await Promise.all([log.append(all.slice(0, 4)), log.append(all.slice(4, 7), false), ...all.slice(7).map((p) => log.append([p], false))]);
  const expected = all.map(String);
  const read = async (): Promise<string[]> => payloadsOf((await log.read(1, 100, 64 << 20)).data);
  t.deepEqual(await read(), expected);
  await store.close();
  const again = await openStore(t, dir, { chunkBytes: 1 << 20 });
  const reopened = again.store.get('alice')!;
  t.is(reopened.head(), sizes.length);
  t.deepEqual(payloadsOf((await reopened.read(1, 100, 64 << 20)).data), expected);
  t.deepEqual(idsOf((await reopened.read(8, 1, 1)).data), [8]);
  t.is((await reopened.stampOf(8)).crc, payloadCrc(all[7]!));
});
