// A subscriber that never reads while its logs' heads advance 100,000 times: its pushes coalesce
// while its output is blocked, and once what it left undelivered passes --max-pending the server
// disconnects it and logs why (like nats-server's slow consumer). Memory stays bounded, everyone
// else is served, and a subscriber that does read is never disconnected.
import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { MiB, mib, watchRss } from './_memory.ts';
import { scale } from './_soak.ts';

const PUSHES = scale(100_000, 1_000_000);
const WRITERS = 4;
/** Long names make long pushes: `HEAD <name> <id>` is about 80 bytes. */
const LOGS = Array.from({ length: WRITERS }, (_, i) => `test.${'slow-consumer-'.repeat(4)}${i}`);

/** One MSG at a time, each waiting for its OK: every one advances the head (a push each). */
async function advance(port: number, log: string, n: number): Promise<void> {
  const wire = await Wire.open(port);
  for (let i = 1; i <= n; i++) {
    const reply = await wire.command(`MSG ${log} ${i}`);
    if (reply !== `OK ${i}`) throw new Error(`MSG ${i}: ${reply}`);
  }
  wire.close();
}

test(`${PUSHES} pushes to a subscriber that never reads: disconnected with a logged reason, memory bounded`, async (t) => {
  t.timeout(300_000);
  const server = await startServer({ args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();
  const stalled = await Wire.open(server.port);
  stalled.socket.pause(); // never reads
  stalled.send(`SUBSCRIBE ${LOGS.join(' ')}\n`);
  const reader = await Wire.open(server.port);
  reader.send(`SUBSCRIBE ${LOGS.join(' ')}\n`);
  let pushesRead = 0;
  let readerDone = false;
  const reading = (async () => {
    while (!readerDone) if ((await reader.line(60_000)).startsWith('HEAD ')) pushesRead++;
  })();

  const writing = Promise.all(LOGS.map((log) => advance(server.port, log, PUSHES / WRITERS)));
  // The memory the stalled subscriber cost: the peak until it is cut off (the logs keep growing after).
  await waitForLog(() => server.stderr(), /disconnected 127\.0\.0\.1:\d+: slow consumer: \d+ bytes of pushes undelivered \(limit 1048576\)/, 120_000);
  const peak = rss.stop();
  stalled.socket.resume(); // it now finds the pushes it was sent, then the end of the connection
  await stalled.waitClosed();
  await writing;

  const probe = await Wire.open(server.port);
  t.is(await probe.command(`HEAD ${LOGS[0]}`), `OK ${PUSHES / WRITERS}`);
  probe.send('STATS\n');
  const stats = new Map<string, string>();
  for (let line = await probe.line(); line !== 'END'; line = await probe.line()) stats.set(line.split(' ')[1]!, line.split(' ')[2]!);
  t.is(stats.get('slow_consumers'), '1', 'only the subscriber that never read was disconnected');
  readerDone = true;
  probe.send(`MSG ${LOGS[0]} last\n`);
  await reading;
  t.true(pushesRead > 0);
  t.log(
    `${PUSHES} head advances: the reading subscriber got ${pushesRead} pushes, the other was disconnected; server RSS ${mib(before)} -> peak ${mib(peak)} until the disconnect`,
  );
  t.true(peak - before < 64 * MiB, `RSS grew by ${mib(peak - before)}`);
  probe.close();
  reader.close();
});

async function waitForLog(text: () => string, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  for (let i = 0; !pattern.test(text()); i++) {
    if (i * 50 > timeoutMs) throw new Error(`no log line matching ${pattern}:\n${text().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('--write-deadline: a stalled READ is disconnected with a logged reason; a slow reader is not', async (t) => {
  t.timeout(60_000);
  const server = await startServer({ args: ['--fsync', 'none', '--write-deadline', '2000'] });
  t.teardown(() => server.stop());
  const writer = await Wire.open(server.port);
  t.teardown(() => writer.close());
  // More than the kernel buffers for a paused loopback reader (tcp_rmem may autotune to 32 MiB
  // plus a 4 MiB send buffer): the stalled reader's output must back up into the server.
  const record = Buffer.alloc(64 * 1024, 'd');
  const body = Buffer.concat([record, Buffer.from('\n')]);
  for (let batch = 0; batch < 4; batch++) {
    writer.send(`APPEND test ${Array(256).fill(record.length).join(' ')}\n`);
    for (let i = 0; i < 256; i++) writer.send(body);
    t.is(await writer.line(), `OK ${batch * 256 + 1} ${batch * 256 + 256}`);
  }
  const rss = watchRss(server.proc.pid!);
  const before = rss.peak();
  const stalled = await Wire.open(server.port);
  t.teardown(() => stalled.close());
  stalled.socket.pause();
  stalled.send('READ test 1\n');
  const slow = await Wire.open(server.port);
  t.teardown(() => slow.close());
  slow.send('READ test 1 64\n');
  // Takes a little every 200 ms: its output moves, so the deadline never fires.
  slow.socket.pause();
  const trickle = setInterval(() => {
    slow.socket.resume();
    setTimeout(() => slow.socket.pause(), 20);
  }, 200);
  t.teardown(() => clearInterval(trickle));
  await waitForLog(() => server.stderr(), /disconnected 127\.0\.0\.1:\d+: stalled: no output taken for 2000 ms/);
  stalled.socket.resume();
  await stalled.waitClosed();
  clearInterval(trickle);
  slow.socket.resume();
  const { records, end } = await slow.records(30_000);
  t.is(records.length, 64);
  t.is(end, 'END 65');
  t.is(await slow.command('PING'), 'PONG', 'the slow reader was never cut off');
  const peak = rss.stop();
  t.true(peak - before < 64 * MiB, `RSS grew by ${mib(peak - before)}`);
  slow.close();
  writer.close();
});
