// Damage is not a torn tail: real files damaged by the test (a middle chunk deleted, a bit flipped
// in the last record of the second-newest chunk, a sealed chunk truncated, an empty stray chunk
// file, a bit flipped in the active chunk's unindexed part after a kill), under each fsync policy,
// after a kill and after a clean stop. Recovery must delete or cut nothing that was acknowledged:
// the log is not opened and answers its damage, other logs work, a second open still finds it, and
// repair moves (never deletes) the unreadable part aside, after which the log opens with ids
// 1..head. A wrong but ordered index entry is no damage: the index is rebuilt from the frames.
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import { join } from 'node:path';
import { writeDurable } from '../../src/storage/durable.ts';
import { DAMAGED_DIR, repairLog } from '../../src/storage/repair.ts';
import type { FsyncPolicy } from '../../src/storage/policy.ts';
import { Store } from '../../src/storage/store.ts';
import { idsOf, openStore, payloads, tempDir } from './_store.ts';

const CHUNK_BYTES = 1000;
const RECORDS = 120;
const POLICIES: FsyncPolicy[] = [{ mode: 'always' }, { mode: 'interval', ms: 5 }, { mode: 'none' }];

interface Fixture {
  dir: string;
  logDir: string;
  /** Chunk file names, oldest first. */
  chunks: string[];
}

/** alice and bob with RECORDS records each; `killed`: the files as a SIGKILL leaves them (copied while open). */
async function fixture(t: ExecutionContext, fsync: FsyncPolicy, killed: boolean): Promise<Fixture> {
  const live = tempDir(t);
  const store = await Store.open({ dir: live, fsync, chunkBytes: CHUNK_BYTES, maxMsg: 1 << 20, logger: () => {} });
  for (const name of ['bob', 'alice']) {
    // alice last: the kill copy is taken right after its last append, before a periodic sync writes its index.
    const log = await store.create(name);
    for (let i = 1; i <= RECORDS; i += 4) await log.append(payloads(i, 4, 30));
  }
  let dir = live;
  if (killed) {
    dir = tempDir(t);
    fs.cpSync(live, dir, { recursive: true });
  }
  await store.close();
  const logDir = join(dir, 'alice');
  return { dir, logDir, chunks: chunkFiles(logDir) };
}

function chunkFiles(logDir: string): string[] {
  return fs
    .readdirSync(logDir)
    .filter((f) => f.endsWith('.chunk'))
    .sort();
}

function firstIdOf(chunk: string): number {
  return Number(chunk.slice(0, 20));
}

function recordsIn(logDir: string, chunk: string): number[] {
  return idsOf(fs.readFileSync(join(logDir, chunk)));
}

/** Every chunk file's bytes, by name. */
function snapshot(logDir: string): Map<string, Buffer> {
  return new Map(chunkFiles(logDir).map((f) => [f, fs.readFileSync(join(logDir, f))]));
}

function flipBitInRecord(logDir: string, chunk: string, id: number): void {
  const path = join(logDir, chunk);
  const data = fs.readFileSync(path);
  const at = data.indexOf(`REC ${id} `);
  data[data.indexOf('\r\n', at) + 4]! ^= 0x04;
  fs.writeFileSync(path, data);
}

interface DamageCase {
  name: string;
  /** Damages alice; returns the head a repair leaves. */
  damage(f: Fixture): number;
  killedOnly?: boolean;
}

const CASES: DamageCase[] = [
  {
    name: 'a middle chunk deleted',
    damage: ({ logDir, chunks }) => {
      fs.rmSync(join(logDir, chunks[2]!));
      fs.rmSync(join(logDir, chunks[2]!.replace('.chunk', '.idx')));
      return firstIdOf(chunks[2]!) - 1;
    },
  },
  {
    name: 'a bit flipped in the last record of the second-newest chunk',
    damage: ({ logDir, chunks }) => {
      const last = firstIdOf(chunks[chunks.length - 1]!) - 1;
      flipBitInRecord(logDir, chunks[chunks.length - 2]!, last);
      return last - 1;
    },
  },
  {
    name: 'a sealed chunk truncated',
    damage: ({ logDir, chunks }) => {
      const path = join(logDir, chunks[3]!);
      fs.truncateSync(path, fs.statSync(path).size - 5);
      return firstIdOf(chunks[4]!) - 2;
    },
  },
  {
    name: 'an empty stray chunk file inside the log',
    damage: ({ logDir, chunks }) => {
      fs.writeFileSync(join(logDir, `${String(firstIdOf(chunks[1]!) + 2).padStart(20, '0')}.chunk`), '');
      return RECORDS;
    },
  },
  {
    name: 'an empty stray chunk file past the end',
    damage: ({ logDir }) => {
      fs.writeFileSync(join(logDir, `${String(RECORDS + 50).padStart(20, '0')}.chunk`), '');
      return RECORDS;
    },
  },
  {
    name: "a bit flipped in the active chunk's unindexed part after a kill",
    killedOnly: true,
    damage: ({ logDir, chunks }) => {
      const active = chunks[chunks.length - 1]!;
      const ids = recordsIn(logDir, active);
      const victim = ids[ids.length - 3];
      if (victim === undefined) throw new Error(`active chunk ${active} holds ${ids.length} records`);
      flipBitInRecord(logDir, active, victim);
      return victim - 1;
    },
  },
];

for (const fsync of POLICIES) {
  for (const killed of [true, false]) {
    for (const c of CASES) {
      if (c.killedOnly && !killed) continue;
      test(`${c.name}, fsync ${fsync.mode}, after a ${killed ? 'kill' : 'clean stop'}: damage, nothing deleted; repair moves it aside`, async (t) => {
        const f = await fixture(t, fsync, killed);
        const repairedHead = c.damage(f);
        const before = snapshot(f.logDir);
        for (let open = 0; open < 2; open++) {
          // Twice: the evidence is still there at the next start.
          const { store, lines } = await openStore(t, f.dir, { fsync, chunkBytes: CHUNK_BYTES });
          t.is(store.get('alice'), undefined);
          const err = store.damage('alice');
          t.regex(err?.message ?? '', /^alice is damaged: alice\/\d{20}\.chunk \d+$/);
          await t.throwsAsync(store.create('alice'), { message: err!.message });
          t.true(
            lines.some((l) => l.startsWith('storage: log alice is damaged and not opened: ') && l.includes(f.logDir)),
            lines.join('\n'),
          );
          const bob = store.get('bob')!;
          t.deepEqual(await bob.append(payloads(RECORDS + 1 + open, 1)), { first: RECORDS + 1 + open, last: RECORDS + 1 + open });
          t.is((await bob.read(1, 1000, 1 << 20)).count, RECORDS + 1 + open);
          await store.close();
          t.deepEqual(snapshot(f.logDir), before, 'no chunk file was deleted, cut or changed');
        }
        const report = await repairLog(f.dir, 'alice');
        t.true(report.damage.length > 0);
        t.is(report.head, repairedHead);
        t.true(report.moved.length > 0);
        // Moved, not deleted: every byte of the damaged log is in the log or in damaged/.
        const aside = join(f.logDir, DAMAGED_DIR);
        const total = (files: Map<string, Buffer>): number => [...files.values()].reduce((n, b) => n + b.length, 0);
        const kept = total(snapshot(f.logDir));
        const moved = fs
          .readdirSync(aside)
          .filter((n) => n.includes('.chunk'))
          .reduce((n, name) => n + fs.statSync(join(aside, name)).size, 0);
        t.is(kept + moved, total(before));
        const { store } = await openStore(t, f.dir, { fsync, chunkBytes: CHUNK_BYTES });
        const alice = store.get('alice')!;
        t.is(alice.head(), repairedHead);
        t.deepEqual(
          idsOf((await alice.read(1, 1000, 1 << 20)).data),
          Array.from({ length: repairedHead }, (_, i) => i + 1),
        );
        t.deepEqual(await alice.append(payloads(1, 1)), { first: repairedHead + 1, last: repairedHead + 1 });
      });
    }
  }
}

test('a power loss under interval: damage below the durable point is still damage, a tear past it is cut', async (t) => {
  const f = await fixture(t, { mode: 'interval', ms: 5 }, false);
  const active = f.chunks[f.chunks.length - 1]!;
  // The last sync covered everything up to the active chunk; then power was lost (another boot).
  await writeDurable(f.logDir, { policy: 'interval', boot: 'an-earlier-boot', chunk: firstIdOf(active), bytes: 0 }, false);
  const last = firstIdOf(active) - 1;
  flipBitInRecord(f.logDir, f.chunks[f.chunks.length - 2]!, last);
  const damaged = await openStore(t, f.dir, { chunkBytes: CHUNK_BYTES });
  t.regex(damaged.store.damage('alice')?.message ?? '', new RegExp(`alice/${f.chunks[f.chunks.length - 2]} \\d+$`));
  await damaged.store.close();
  flipBitInRecord(f.logDir, f.chunks[f.chunks.length - 2]!, last); // undone
  const ids = recordsIn(f.logDir, active);
  flipBitInRecord(f.logDir, active, ids[1]!); // in the unsynced part: may be torn by the power loss
  const { store, lines } = await openStore(t, f.dir, { chunkBytes: CHUNK_BYTES });
  t.is(store.get('alice')!.head(), ids[0]!);
  t.true(lines.some((l) => l.includes('log alice: dropped')));
});

for (const killed of [true, false]) {
  test(`a wrong but ordered index entry in a sealed chunk (after a ${killed ? 'kill' : 'clean stop'}) is rebuilt from the frames; every record reads`, async (t) => {
    const f = await fixture(t, { mode: 'none' }, killed);
    const idx = join(f.logDir, f.chunks[1]!.replace('.chunk', '.idx'));
    const entries = fs.readFileSync(idx);
    // Entry 3 moved one byte on: still between entries 2 and 4, but not at its record.
    entries.writeUInt32LE(entries.readUInt32LE(24) + 1, 24);
    fs.writeFileSync(idx, entries);
    const { store } = await openStore(t, f.dir, { chunkBytes: CHUNK_BYTES });
    const alice = store.get('alice')!;
    const first = firstIdOf(f.chunks[1]!);
    for (const start of [first + 2, first + 3, 1]) {
      const { data } = await alice.read(start, 1000, 1 << 20);
      t.deepEqual(
        idsOf(data),
        Array.from({ length: RECORDS - start + 1 }, (_, i) => start + i),
      );
    }
    t.deepEqual(fs.readFileSync(idx).readUInt32LE(24), entries.readUInt32LE(24) - 1);
  });
}

test('after a power loss, wrong but ordered index entries written since the durable point are rebuilt at open', async (t) => {
  const f = await fixture(t, { mode: 'interval', ms: 5 }, false);
  await writeDurable(f.logDir, { policy: 'interval', boot: 'an-earlier-boot', chunk: firstIdOf(f.chunks[1]!), bytes: 0 }, false);
  const idx = join(f.logDir, f.chunks[2]!.replace('.chunk', '.idx'));
  const entries = fs.readFileSync(idx);
  entries.writeUInt32LE(entries.readUInt32LE(24) + 1, 24);
  fs.writeFileSync(idx, entries);
  const { store, lines } = await openStore(t, f.dir, { chunkBytes: CHUNK_BYTES });
  await store.allRecovered(); // logs are recovered on first use or by the background pass
  t.true(
    lines.some((l) => l.includes('log alice:') && l.includes('repaired 1 index files')),
    lines.join('\n'),
  );
  t.is(fs.readFileSync(idx).readUInt32LE(24), entries.readUInt32LE(24) - 1, 'fixed before any read');
  t.is((await store.get('alice')!.read(1, 1000, 1 << 20)).count, RECORDS);
});
