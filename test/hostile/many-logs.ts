// Many logs against a low file descriptor limit (issue 11, point 4): a real node under
// `ulimit -n 256` serves thousands of logs (writes to all of them, connections keep working),
// restarts lazily (the logs are recovered on first use or in the background) and refuses logs
// past --max-logs with `ERR full`.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServer, type RunningServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { logs } from '../replication/_cluster.ts';

const FILE_LIMIT = 256;

/** Sends every line at once and returns the first reply line of each, in order. */
async function pipeline(wire: Wire, lines: string[]): Promise<string[]> {
  wire.send(lines.map((l) => l + '\n').join(''));
  const replies: string[] = [];
  for (let i = 0; i < lines.length; i++) replies.push(await wire.line(60_000));
  return replies;
}

function openFds(node: RunningServer): number {
  return readdirSync(`/proc/${node.proc.pid}/fd`).length;
}

/** Counts the replies that are not `expected(i)`, and shows the first such. */
function mismatches(replies: string[], expected: (i: number) => string): string {
  const bad = replies.map((r, i) => [r, expected(i)] as const).filter(([r, e]) => r !== e);
  const [first] = bad;
  return first === undefined ? '' : `${bad.length} unexpected replies, first: ${first[0]} (expected ${first[1]})`;
}

/** A data directory that outlives the node's restarts; removed when the test ends. */
function dataDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'logd-many-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(dir: string, args: string[]): Promise<{ node: RunningServer; ms: number }> {
  const started = performance.now();
  const node = await startServer({ dir, args, fileLimit: FILE_LIMIT });
  return { node, ms: performance.now() - started };
}

for (const [fsync, count] of [
  ['none', 5000],
  ['always', 600],
] as const) {
  test.serial(
    `${count} logs under ulimit -n ${FILE_LIMIT} (fsync ${fsync}): every write succeeds, connections keep working, the restart recovers lazily`,
    async (t) => {
      const args = ['--fsync', fsync, '--max-logs', '20000'];
      const { node } = await start(dataDir(t), args);
      t.teardown(() => node.stop());
      t.regex(node.stderr(), new RegExp(`descriptor limit ${FILE_LIMIT}: storage keeps at most 56 open`));
      // Connections opened before the logs exist keep working after: the logs did not take their descriptors.
      const idle = await Promise.all(Array.from({ length: 40 }, () => Wire.open(node.port)));
      t.teardown(() => {
        for (const w of idle) w.close();
      });
      const names = Array.from({ length: count }, (_, i) => `test.l${i}`);
      const writer = await Wire.open(node.port);
      t.teardown(() => writer.close());
      for (const [text, id] of [
        ['first', 1],
        ['second', 2],
      ] as const) {
        const replies = await pipeline(
          writer,
          names.map((n) => `MSG ${n} ${text}`),
        );
        t.is(
          mismatches(replies, () => `OK ${id}`),
          '',
        );
      }
      const during = openFds(node);
      t.log(`${count} logs written twice: ${during} descriptors open in the server (limit ${FILE_LIMIT})`);
      for (const w of idle) t.is(await w.command('PING'), 'PONG');
      const more = await Promise.all(Array.from({ length: 40 }, () => Wire.open(node.port)));
      for (const w of more) t.is(await w.command('PING'), 'PONG');
      for (const w of more) w.close();
      const listed = await logs(node.port);
      t.is(listed.size, count + 1); // and the node's own log
      t.deepEqual(listed.get(names[count - 1]!), { role: 'owner', first: 1, head: 2 });
      writer.close();
      for (const w of idle) w.close();
      // A crash, not a stop: a stop would fdatasync every log (thousands of syncs, a minute on this disk);
      // records acknowledged under any policy survive a killed process, and the restart recovers them.
      await node.kill();

      const again = await start(node.dir, args);
      t.teardown(() => again.node.stop());
      const restarted = again.node;
      t.regex(restarted.stderr(), new RegExp(`${count + 1} logs found, 0 checked now, ${count + 1} wait for their first use or the background check`));
      const startedIn = /started in (\d+) ms/.exec(restarted.stderr())![1];
      t.log(`restart with ${count + 1} logs: the node started in ${startedIn} ms (listening ${again.ms.toFixed(0)} ms after spawn, Node's own boot included)`);
      const listedAgain = await logs(restarted.port); // waits for the background pass
      t.is(listedAgain.size, count + 1);
      t.is(listedAgain.get(names[0]!)!.head, 2);
      const done = /recovery done: (\d+) logs checked, (\d+) records, 0 bytes dropped in recovery, (\d+) ms after open/.exec(restarted.stderr());
      t.truthy(done, restarted.stderr());
      t.is(Number(done![1]), count + 1);
      t.log(`background recovery of ${count + 1} logs done ${done![3]} ms after the store opened`);
      const writer2 = await Wire.open(restarted.port);
      t.teardown(() => writer2.close());
      const sample = names.filter((_, i) => i % 50 === 0); // (each log written now is synced at the stop)
      t.is(
        mismatches(
          await pipeline(
            writer2,
            sample.map((n) => `MSG ${n} third`),
          ),
          () => 'OK 3',
        ),
        '',
      );
      const read = await writer2.command(`READ ${names[7]} 1 0 NOWAIT`);
      t.true(read.startsWith('REC 1 '), read);
    },
  );
}

test(`under ulimit -n ${FILE_LIMIT}, --max-conns is lowered to what fits: the connection past it gets ERR busy, the others and the logs keep working`, async (t) => {
  const node = await startServer({ dir: dataDir(t), args: ['--fsync', 'none'], fileLimit: FILE_LIMIT });
  t.teardown(() => node.stop());
  const m = /at most (\d+) connections \(--max-conns 10000 does not fit\)/.exec(node.stderr());
  t.truthy(m, node.stderr());
  const fit = Number(m![1]);
  const wires = await Promise.all(Array.from({ length: fit }, () => Wire.open(node.port)));
  t.teardown(() => {
    for (const w of wires) w.close();
  });
  for (const w of wires) t.is(await w.command('PING'), 'PONG');
  const extra = await Wire.open(node.port);
  t.teardown(() => extra.close());
  t.regex(await extra.line(), /^ERR busy too many connections/);
  // Storage has its own share: a thousand new logs are written with every connection taken.
  t.is(
    mismatches(
      await pipeline(
        wires[0]!,
        Array.from({ length: 1000 }, (_, i) => `MSG test.c${i} x`),
      ),
      () => 'OK 1',
    ),
    '',
  );
  t.is(await wires[fit - 1]!.command('PING'), 'PONG');
});

test('--max-logs refuses a write that would create one more log of the namespace with ERR full, over TCP, also after a restart', async (t) => {
  const args = ['--fsync', 'none', '--max-logs', '3'];
  const node = await startServer({ dir: dataDir(t), args });
  t.teardown(() => node.stop());
  const wire = await Wire.open(node.port);
  t.teardown(() => wire.close());
  // The node's own log `test` is one of the three.
  t.is(await wire.command('MSG test.a x'), 'OK 1');
  t.is(await wire.command('MSG test.b x'), 'OK 1');
  t.is(await wire.command('MSG test.c x'), 'ERR full test.c: namespace test already holds 3 logs, the most --max-logs allows');
  t.is(await wire.command('APPEND test.d 1 1\nx\ny'), 'ERR full test.d: namespace test already holds 3 logs, the most --max-logs allows');
  t.is(await wire.command('PING'), 'PONG');
  t.is(await wire.command('MSG test.a y'), 'OK 2'); // existing logs still take writes
  t.is(await wire.command('HEAD test.c'), 'OK 0'); // never created
  wire.close();
  await node.stop();
  const again = await startServer({ dir: node.dir, args });
  t.teardown(() => again.stop());
  const wire2 = await Wire.open(again.port);
  t.teardown(() => wire2.close());
  t.regex(await wire2.command('MSG test.c x'), /^ERR full test\.c: namespace test already holds 3 logs/);
  t.is(await wire2.command('MSG test.b y'), 'OK 2');
  t.deepEqual([...(await logs(again.port)).keys()].sort(), ['test', 'test.a', 'test.b']);
});
