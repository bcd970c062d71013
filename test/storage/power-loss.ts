// Power loss, simulated at each fdatasync of fsync=always appends: the disk may hold the state
// of the previous sync plus any part of what was written since (each overwritten byte applied or
// not, the appended bytes cut anywhere). Every such state must recover to whole batches only,
// with every batch acknowledged before the sync still there.
import test from 'ava';
import fs from 'node:fs';
import { join } from 'node:path';
import { newFrameHeader, parseFrame } from '../../protocol/frame.ts';
import { io } from '../../src/storage/io.ts';
import { Store } from '../../src/storage/store.ts';
import { openStore, tempDir } from './_store.ts';

interface Crash {
  /** Chunk bytes as the previous sync left them, and as written now. */
  durable: Buffer;
  current: Buffer;
  /** Batches acknowledged before this sync: batch -> [first, last]. */
  acked: Map<number, [number, number]>;
}

async function recoveredBatches(dir: string, chunk: Buffer): Promise<[number, number, number][]> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(join(dir, 'alice'), { recursive: true });
  fs.writeFileSync(join(dir, 'alice', '00000000000000000001.chunk'), chunk);
  const store = await Store.open({ dir, fsync: { mode: 'none' }, chunkBytes: 1 << 30, maxMsg: 1 << 20, logger: () => {} });
  try {
    const log = store.get('alice')!;
    const { data } = await log.read(1, 1 << 20, 1 << 30);
    const h = newFrameHeader();
    const records: [number, number, number][] = [[0, 0, 0]];
    for (let pos = 0; pos < data.length; pos += parseFrame(data, pos, data.length, h)) {
      parseFrame(data, pos, data.length, h);
      const [b = NaN, i = NaN, size = NaN] = data
        .toString('latin1', pos + h.headerLength, pos + h.headerLength + 30)
        .split(' ')
        .map(Number);
      records.push([b, i, size]);
    }
    return records;
  } finally {
    await store.close();
  }
}

test.serial('fsync always: no power-loss cut of an unsynced round leaves a partial batch or loses an acknowledged one', async (t) => {
  const dir = tempDir(t);
  const { store } = await openStore(t, join(dir, 'live'), { fsync: { mode: 'always' }, chunkBytes: 1 << 30 });
  const log = await store.create('alice');
  const chunkPath = join(dir, 'live', 'alice', '00000000000000000001.chunk');
  const acked = new Map<number, [number, number]>();
  const crashes: Crash[] = [];
  let durable = Buffer.alloc(0);
  const realSync = io.fdatasync;
  io.fdatasync = async (fd) => {
    crashes.push({ durable, current: fs.readFileSync(chunkPath), acked: new Map(acked) });
    await realSync(fd);
    durable = fs.readFileSync(chunkPath);
  };
  try {
    let batch = 0;
    const lane = async (): Promise<void> => {
      for (let n = 0; n < 12; n++) {
        const b = batch++;
        const size = b % 3 === 0 ? 1 : 1 + ((b * 7) % 13);
        const { first, last } = await log.append(
          Array.from({ length: size }, (_, i) => Buffer.from(`${b} ${i} ${size} `.padEnd(150 + ((b + i) % 5) * 100, 'p'))),
        );
        acked.set(b, [first, last]);
      }
    };
    await Promise.all([lane(), lane(), lane()]);
  } finally {
    io.fdatasync = realSync;
  }
  let states = 0;
  for (const [k, crash] of crashes.entries()) {
    const { durable: before, current, acked: ackedBefore } = crash;
    const overwritten = Buffer.concat([current.subarray(0, before.length), Buffer.alloc(Math.max(0, before.length - current.length))]);
    const cuts = new Set([before.length, current.length]);
    for (let cut = before.length; cut < current.length; cut += 509) cuts.add(cut);
    for (const overwrites of [false, true]) {
      for (const cut of cuts) {
        const state = Buffer.concat([overwrites ? overwritten : before, current.subarray(before.length, cut)]);
        const records = await recoveredBatches(join(dir, 'crashed'), state);
        states++;
        for (const [b, [first, last]] of ackedBefore) {
          for (let id = first; id <= last; id++)
            if (records[id]?.[0] !== b) return t.fail(`sync ${k}, cut ${cut}: acknowledged record ${id} of batch ${b} lost`);
        }
        for (let id = 1; id < records.length; ) {
          const [b, i, size] = records[id]!;
          if (i !== 0 || records[id + size - 1]?.[0] !== b || records[id + size - 1]?.[1] !== size - 1)
            return t.fail(`sync ${k}, cut ${cut}, overwrites ${overwrites}: batch ${b} is partial at id ${id}`);
          id += size;
        }
      }
    }
  }
  t.log(`${crashes.length} syncs, ${states} simulated power-loss states recovered`);
  t.true(crashes.length > 5 && acked.size === 36);
});

test.serial('fsync always: a lone single-record append costs one fdatasync, a lone batch two', async (t) => {
  const { store } = await openStore(t, tempDir(t), { fsync: { mode: 'always' } });
  const log = await store.create('alice');
  let before = store.fsyncs;
  for (let i = 0; i < 10; i++) await log.append([Buffer.from(`one ${i}`)]);
  t.is(store.fsyncs - before, 10);
  before = store.fsyncs;
  for (let i = 0; i < 10; i++) await log.append([Buffer.from(`a ${i}`), Buffer.from(`b ${i}`)]);
  t.is(store.fsyncs - before, 20);
  t.is(log.head(), 30);
});
