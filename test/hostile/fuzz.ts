// Protocol fuzzer: random and mutated commands, binary garbage and split frames over many real
// connections (opened, used for a random number of cases, then closed or dropped). The server
// must never crash or hang (a fresh connection is answered all along), log no internal error,
// stop cleanly, pass `logtool verify`, and serve every stored record intact after a restart.
import test from 'ava';
import { connect, type Socket } from 'node:net';
import { payloadCrc } from '../../protocol/frame.ts';
import { startServer, type RunningServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { Cases, prng } from './_fuzz-cases.ts';
import { MiB, mib, watchRss } from './_memory.ts';
import { scale } from './_soak.ts';
import { logtoolVerify } from './_verify.ts';

const CASES = scale(10_000, 100_000);
const CONNECTIONS = 8;
const SEED = Number(process.env.LOGD_FUZZ_SEED ?? Date.now() % 1_000_000);
const ARGS = ['--fsync', 'none', '--chunk-bytes', '256K', '--max-msg', '64K', '--max-batch', '1M', '--max-line', '4096'];

function open(port: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.setNoDelay(true);
    socket.on('data', () => {}); // replies are read and dropped
    socket.on('error', () => resolve(null));
  });
}

/** One connection after another, each taking a random number of cases, until none are left. */
async function fuzzer(port: number, cases: Cases, take: () => boolean): Promise<void> {
  while (true) {
    const socket = await open(port);
    if (!socket) throw new Error('the server refused a connection');
    const budget = 1 + cases.int(200);
    for (let i = 0; i < budget && !socket.destroyed && !socket.writableEnded; i++) {
      if (!take()) return void socket.destroy();
      for (const piece of cases.split(cases.next())) {
        socket.write(piece);
        if (cases.int(4) === 0) await new Promise((r) => setImmediate(r)); // a real split on the wire
      }
      if (socket.writableLength > MiB) await new Promise((r) => setTimeout(r, 5)); // the server paused reading us
    }
    if (cases.int(2) === 0) socket.destroy();
    else socket.end();
  }
}

/** PING on a fresh connection every 200 ms; returns the slowest answer, throws if one is missing. */
function watchdog(server: RunningServer): { stop: () => Promise<number> } {
  let running = true;
  let slowest = 0;
  const loop = (async () => {
    while (running) {
      if (server.proc.exitCode !== null || server.proc.signalCode !== null) throw new Error(`the server died:\n${server.stderr().slice(-3000)}`);
      const start = Date.now();
      const wire = await Wire.open(server.port);
      const pong = await wire.command('PING').catch((err: Error) => err.message);
      wire.close();
      if (pong !== 'PONG') throw new Error(`a fresh connection got ${JSON.stringify(pong)} for PING`);
      slowest = Math.max(slowest, Date.now() - start);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return slowest;
    },
  };
}

test(`fuzz: ${CASES} random, mutated and garbage inputs over real connections`, async (t) => {
  t.timeout(scale(180_000, 1_800_000));
  t.log(`seed ${SEED} (replay with LOGD_FUZZ_SEED=${SEED})`);
  const server = await startServer({ args: ARGS });
  t.teardown(() => server.stop());
  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();
  const dog = watchdog(server);
  let left = CASES;
  const take = () => left-- > 0;
  const rand = prng(SEED);
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => fuzzer(server.port, new Cases(prng(SEED * 31 + i + Math.floor(rand() * 1000))), take)));
  const slowest = await dog.stop();
  const peak = rss.stop();

  const internal = server
    .stderr()
    .split('\n')
    .filter((l) => / error: /.test(l));
  t.deepEqual(internal, [], 'no internal error was logged');
  const wire = await Wire.open(server.port);
  t.is(await wire.command('PING'), 'PONG');
  wire.close();
  t.log(`${CASES} cases: slowest PING on a fresh connection ${slowest} ms; server RSS ${mib(before)} -> peak ${mib(peak)}`);
  t.true(peak - before < 256 * MiB, `RSS grew by ${mib(peak - before)}`);

  // A clean stop, a clean directory, and every record readable and intact after a restart.
  server.proc.kill('SIGTERM');
  t.is(await server.exited, 0, 'a graceful stop');
  const verified = await logtoolVerify(server.dir);
  t.true(verified.ok, verified.output);
  const again = await startServer({ dir: server.dir, args: ARGS });
  t.teardown(() => again.stop());
  const reader = await Wire.open(again.port);
  reader.send('LOGS\n');
  const logs = new Map<string, { first: number; head: number }>();
  for (let line = await reader.line(); line !== 'END'; line = await reader.line()) {
    const [, name = line, , first, head] = line.split(' ');
    logs.set(name, { first: Number(first), head: Number(head) });
  }
  let records = 0;
  for (const [log, { first, head }] of logs) {
    reader.send(`READ ${log} ${first} 0 NOWAIT\n`);
    const got = await reader.records(60_000);
    t.is(got.end, `END ${head + 1}`);
    for (const r of got.records) if (payloadCrc(r.payload) !== r.crc) t.fail(`record ${r.id} of ${log} fails its CRC`);
    records += got.records.length;
  }
  reader.close();
  t.log(`after the fuzz: ${logs.size} logs, ${records} records, all intact; logtool verify: ${verified.output.trim().split('\n').pop()}`);
  t.is(records, verified.records);
});
