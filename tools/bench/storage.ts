// `make bench-storage`: the storage engine alone, 100-byte payloads, on this machine.
//   append records/s in batches of 1, 100 and 1000 under each fsync policy (32 appends in flight,
//   like a pipelining client: group commit shares writes and fsyncs between them);
//   sequential read of 1M records (ranges of 4096 records / 256 KiB, as READ streams them);
//   SEEK by time on a 1M-record log reopened from disk (binary search: O(log n) reads);
//   open time of a 10M-record log after a kill (index tail unwritten) and after a clean close.
// Not a test: it prints figures. `--quick` shrinks the sizes for a smoke run; `--seek` prints
// only the SEEK figure.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { newFrameHeader, parseFrame } from '../../protocol/frame.ts';
import { parseFsyncPolicy, Store } from '../../src/storage/store.ts';

const PAYLOAD = Buffer.alloc(100, 'x');
const IN_FLIGHT = 32;
const quick = process.argv.includes('--quick');
const SECONDS = quick ? 0.3 : 2;
const SEEKS = quick ? 200 : 1000;
const READ_RECORDS = quick ? 100_000 : 1_000_000;
const OPEN_RECORDS = quick ? 500_000 : 10_000_000;
const CHUNK_BYTES = 64 << 20;
const silent = (): void => {};

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'logd-bench-storage-'));
}

function rate(n: number, ms: number): string {
  return Math.round((n * 1000) / ms)
    .toLocaleString('en-US')
    .padStart(11);
}

/** Appends batches of `batch` payloads with IN_FLIGHT calls outstanding for about SECONDS; returns records/s. */
async function appendRate(policy: string, batch: number): Promise<string> {
  const dir = tempDir();
  const store = await Store.open({ dir, fsync: parseFsyncPolicy(policy), chunkBytes: CHUNK_BYTES, maxMsg: 1 << 20, logger: silent });
  try {
    const log = await store.create('bench');
    const payloads = Array.from({ length: batch }, () => PAYLOAD);
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    let records = 0;
    const lane = async (): Promise<void> => {
      while (performance.now() < deadline) {
        await log.append(payloads);
        records += batch;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    const ms = performance.now() - started;
    return `${rate(records, ms)} rec/s  (${store.fsyncs} fsyncs)`;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Fills a log with `records` payloads quickly (fsync none, batches of 1000). */
async function fill(store: Store, records: number): Promise<void> {
  const log = await store.create('bench');
  const payloads = Array.from({ length: 1000 }, () => PAYLOAD);
  const pending: Promise<unknown>[] = [];
  for (let n = 0; n < records; n += 1000) {
    pending.push(log.append(payloads));
    if (pending.length >= IN_FLIGHT) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

async function readRate(): Promise<string> {
  const dir = tempDir();
  const store = await Store.open({ dir, fsync: { mode: 'none' }, chunkBytes: CHUNK_BYTES, maxMsg: 1 << 20, logger: silent });
  try {
    await fill(store, READ_RECORDS);
    const log = store.get('bench')!;
    const started = performance.now();
    let bytes = 0;
    for (let id = 1; id <= log.head(); ) {
      const r = await log.read(id, 4096, 256 * 1024);
      bytes += r.data.length;
      id = r.next;
    }
    const ms = performance.now() - started;
    return `${rate(log.head(), ms)} rec/s  ${(((bytes / ms) * 1000) / 1e6).toFixed(0)} MB/s`;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SEEK to random times on a log of READ_RECORDS records, reopened (sealed chunks' indexes on disk). */
async function seekTimes(): Promise<string> {
  const dir = tempDir();
  try {
    const filling = await Store.open({ dir, fsync: { mode: 'none' }, chunkBytes: CHUNK_BYTES, maxMsg: 1 << 20, logger: silent });
    await fill(filling, READ_RECORDS);
    await filling.close();
    const store = await Store.open({ dir, fsync: { mode: 'none' }, chunkBytes: CHUNK_BYTES, maxMsg: 1 << 20, logger: silent });
    try {
      const log = store.get('bench')!;
      const header = newFrameHeader();
      const stamp = async (id: number): Promise<number> => {
        const { data } = await log.read(id, 1, 1);
        parseFrame(data, 0, data.length, header);
        return header.ts;
      };
      const from = await stamp(1);
      const to = (await stamp(log.head())) + 1;
      const ms: number[] = [];
      const cpu = process.cpuUsage();
      for (let i = 0; i < SEEKS; i++) {
        const time = from + Math.floor(Math.random() * (to - from + 1));
        const started = performance.now();
        await log.seek(time);
        ms.push(performance.now() - started);
      }
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000 / SEEKS; // unlike wall time, not inflated by a busy machine
      const first = ms[0]!;
      ms.sort((a, b) => a - b);
      const at = (q: number): string => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(3);
      return `median ${at(0.5)} ms  p99 ${at(0.99)} ms  max ${ms[ms.length - 1]!.toFixed(3)} ms  cpu ${cpuMs.toFixed(3)} ms/seek  (first after open ${first.toFixed(3)} ms, ${SEEKS} seeks)`;
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function openMs(dir: string): Promise<{ ms: number; store: Store; line: string }> {
  let line = '';
  const started = performance.now();
  const store = await Store.open({ dir, fsync: { mode: 'none' }, chunkBytes: CHUNK_BYTES, maxMsg: 1 << 20, logger: (l) => (line = l) });
  return { ms: performance.now() - started, store, line };
}

/** Child mode: fill the log, say so, and wait to be killed. */
async function fillAndWait(dir: string, records: number): Promise<void> {
  const store = await Store.open({ dir, fsync: { mode: 'none' }, chunkBytes: CHUNK_BYTES, maxMsg: 1 << 20, logger: silent });
  await fill(store, records);
  process.stdout.write('filled\n');
  setInterval(() => {}, 1000);
}

async function openTimes(): Promise<string[]> {
  const dir = tempDir();
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--fill-and-wait', dir, String(OPEN_RECORDS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('filled')) resolve();
      });
      child.on('exit', () => reject(new Error('the filling process exited before it was killed')));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const killed = await openMs(dir);
    const records = killed.store.get('bench')!.head();
    await killed.store.close();
    const clean = await openMs(dir);
    await clean.store.close();
    return [
      `open ${records.toLocaleString('en-US')} records after a kill:        ${killed.ms.toFixed(0).padStart(6)} ms`,
      `open ${records.toLocaleString('en-US')} records after a clean close: ${clean.ms.toFixed(0).padStart(6)} ms`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const fillAt = process.argv.indexOf('--fill-and-wait');
  if (fillAt >= 0) {
    const [dir, records] = process.argv.slice(fillAt + 1);
    if (dir === undefined || records === undefined) throw new Error('usage: --fill-and-wait <dir> <records>');
    return fillAndWait(dir, Number(records));
  }
  console.log(`storage benchmark: 100-byte payloads, ${IN_FLIGHT} appends in flight, chunk ${CHUNK_BYTES >> 20} MiB, node ${process.version}`);
  if (process.argv.includes('--seek')) return console.log(`SEEK by time on ${READ_RECORDS.toLocaleString('en-US')} records:  ${await seekTimes()}`);
  for (const policy of ['always', 'interval:1000', 'none']) {
    for (const batch of [1, 100, 1000]) console.log(`append fsync=${policy.padEnd(13)} batch=${String(batch).padEnd(4)} ${await appendRate(policy, batch)}`);
  }
  console.log(`sequential read of ${READ_RECORDS.toLocaleString('en-US')} records:  ${await readRate()}`);
  console.log(`SEEK by time on ${READ_RECORDS.toLocaleString('en-US')} records:  ${await seekTimes()}`);
  for (const line of await openTimes()) console.log(line);
}

await main();
