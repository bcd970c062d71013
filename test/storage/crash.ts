// Crash test: a child appends and is killed with SIGKILL at a random moment, again and again on
// the same directory. After each kill the log must open with every acknowledged record present
// and intact, ids contiguous, and no batch partly present. Cycles alternate fsync always (the
// acceptance case) and none (no time spent in fdatasync, so kills land inside writes more often;
// a SIGKILL loses nothing from the page cache, so the same guarantees hold).
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Store } from '../../src/storage/store.ts';
import { tempDir } from './_store.ts';
import { parseFrame, newFrameHeader } from '../../protocol/frame.ts';

const WRITER = fileURLToPath(new URL('./_crash-writer.ts', import.meta.url));
const CYCLES = 22;

/** Runs the writer until `delayMs` after it is ready, kills it, and returns its acknowledgements. */
function runAndKill(dir: string, firstBatch: number, fsync: string, delayMs: number): Promise<Map<number, [number, number]>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(firstBatch), fsync], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('latin1').on('data', (s: string) => {
      if (!out.includes('ready\n') && (out + s).includes('ready\n')) setTimeout(() => child.kill('SIGKILL'), delayMs);
      out += s;
    });
    child.stderr.setEncoding('latin1').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited on its own: ${err}`));
      const acked = new Map<number, [number, number]>();
      for (const line of out.split('\n')) {
        const [b = NaN, first = NaN, last = NaN] = line.split(' ').map(Number);
        if (line !== 'ready' && Number.isInteger(last)) acked.set(b, [first, last]);
      }
      resolve(acked);
    });
  });
}

/** Every record of the log as [batch, index, batch size], by id (index 0 unused). */
async function readAll(dir: string): Promise<{ records: [number, number, number][]; dropped: boolean }> {
  const lines: string[] = [];
  const store = await Store.open({ dir, fsync: { mode: 'always' }, chunkBytes: 256 << 10, maxMsg: 1 << 20, logger: (l) => lines.push(l) });
  try {
    const log = store.get('crash');
    const records: [number, number, number][] = [[0, 0, 0]];
    if (!log) return { records, dropped: false };
    const h = newFrameHeader();
    for (let id = 1; id <= log.head(); ) {
      const { data, next } = await log.read(id, 10_000, 4 << 20);
      for (let pos = 0; pos < data.length; ) {
        const len = parseFrame(data, pos, data.length, h);
        if (h.id !== records.length) throw new Error(`id ${h.id} where ${records.length} was expected`);
        const [b = NaN, i = NaN, size = NaN] = data
          .toString('latin1', pos + h.headerLength, pos + h.headerLength + 40)
          .split(' ')
          .map(Number);
        records.push([b, i, size]);
        pos += len;
      }
      id = next;
    }
    return { records, dropped: lines.some((l) => l.includes('log crash: dropped')) };
  } finally {
    await store.close();
  }
}

test('SIGKILL during grouped appends: acknowledged records survive, no partial batch', async (t) => {
  const dir = tempDir(t);
  const acked = new Map<number, [number, number]>();
  let tornCycles = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    for (const [b, range] of await runAndKill(dir, cycle * 1_000_000, cycle % 2 ? 'none' : 'always', 10 + Math.floor(Math.random() * 100))) acked.set(b, range);
    const { records, dropped } = await readAll(dir);
    if (dropped) tornCycles++;
    // Every acknowledged batch is there, under the ids it was acknowledged with.
    for (const [b, [first, last]] of acked) {
      for (let id = first; id <= last; id++) {
        const [rb, ri, size] = records[id] ?? [];
        if (rb !== b || ri !== id - first || size !== last - first + 1)
          return t.fail(`cycle ${cycle}: acknowledged record ${id} of batch ${b} is ${records[id]}`);
      }
    }
    // Every batch in the log is whole and contiguous.
    for (let id = 1; id < records.length; ) {
      const [b, i, size] = records[id]!;
      if (i !== 0) return t.fail(`cycle ${cycle}: batch ${b} starts at index ${i} (id ${id})`);
      for (let k = 1; k < size; k++) {
        if (records[id + k]?.[0] !== b || records[id + k]?.[1] !== k) return t.fail(`cycle ${cycle}: batch ${b} of ${size} is partial at id ${id + k}`);
      }
      id += size;
    }
  }
  t.log(`${CYCLES} kills, ${acked.size} acknowledged batches, ${tornCycles} recoveries dropped a torn or uncommitted tail`);
  t.true(acked.size > CYCLES);
});
