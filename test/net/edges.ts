// Regression tests for the contract bugs at a connection's edges (issue 12): nothing after a
// command that ends the connection runs; STOP and CLOSE reach queued streams; a stream ends
// soon after its client's EOF or reset with no write needed; STATS counts what was stored and sent.
import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { stats, waitFor } from '../replication/_cluster.ts';

/** Waits until STATS `name` is `value` (polling); returns how long it took. */
async function statBecomes(port: number, name: string, value: number, timeoutMs: number): Promise<number> {
  const start = Date.now();
  await waitFor(`STATS ${name} ${value}`, async () => (await stats(port)).get(name) === value, timeoutMs);
  return Date.now() - start;
}

test('nothing sent after CLOSE or SHUTDOWN runs, even behind a write awaiting its fsync', async (t) => {
  const server = await startServer({ args: ['--fsync', 'always', '--allow-shutdown'] });
  t.teardown(() => server.stop());
  const a = await Wire.open(server.port);
  a.send('MSG test a\nCLOSE\nMSG test b\nPING\n');
  t.is(await a.line(), 'OK 1');
  t.is(await a.line(), 'OK');
  await a.waitClosed();
  t.is(a.pending().length, 0);
  const b = await Wire.open(server.port);
  t.is(await b.command('HEAD test'), 'OK 1', 'b was not stored');
  b.send('MSG test c\nSHUTDOWN\nMSG test d\n');
  t.is(await b.line(), 'OK 2');
  t.is(await b.line(), 'OK');
  await b.waitClosed();
  t.is(b.pending().length, 0);
  t.is(await server.exited, 0);
  const again = await startServer({ dir: server.dir });
  t.teardown(() => again.stop());
  const c = await Wire.open(again.port);
  t.teardown(() => c.close());
  t.is(await c.command('HEAD test'), 'OK 2', 'd was not stored');
});

test('STOP and CLOSE end every READ and REPLICATE sent before them, queued ones included, in command order', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const w = await Wire.open(server.port);
  t.teardown(() => w.close());
  t.is(await w.command('MSG test one'), 'OK 1');
  // A follow, a REPLICATE and a READ queued behind it, a PING between: one packet.
  w.send('READ test $\nREPLICATE test 2\nPING\nREAD test 1\nSTOP\nPING\n');
  for (const want of ['END 2', 'END 2', 'PONG', 'END 1', 'OK', 'PONG']) t.is(await w.line(), want);
  w.send('READ test $ 1\nREAD test $\nCLOSE\nPING\n');
  for (const want of ['END 2', 'END 2', 'OK']) t.is(await w.line(), want);
  await w.waitClosed();
  t.is(w.pending().length, 0, 'the PING after CLOSE was not answered');
});

test("a following READ ends at its client's EOF (END at the head) and at its reset, with no write needed", async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const observer = await Wire.open(server.port);
  t.teardown(() => observer.close());
  t.is(await observer.command('MSG test one'), 'OK 1');
  t.is(await observer.command('MSG test two'), 'OK 2');

  // EOF: what is stored is sent (up to the limit), then END, then the server closes.
  const halfClosed = await Wire.open(server.port);
  halfClosed.send('READ test 1\nREAD test 2 5\nREAD test 9\n');
  await statBecomes(server.port, 'streams', 1, 5000);
  halfClosed.socket.end();
  const first = await halfClosed.records();
  t.deepEqual([first.records.map((r) => r.id), first.end], [[1, 2], 'END 3']);
  const second = await halfClosed.records();
  t.deepEqual([second.records.map((r) => r.id), second.end], [[2], 'END 3']);
  t.is(await halfClosed.line(), 'END 9');
  await halfClosed.waitClosed();
  t.log(`streams back to 0 ${await statBecomes(server.port, 'streams', 0, 2000)} ms after the EOF was answered`);

  // A REPLICATE likewise: at the follower's EOF it sends what is stored, then END.
  const follower = await Wire.open(server.port);
  follower.send('REPLICATE test 2\n');
  t.is(await follower.line(), 'HB 2');
  follower.socket.end();
  let replicated: number[] = [];
  for (;;) {
    const got = await follower.records();
    replicated = replicated.concat(got.records.map((r) => r.id));
    if (got.end.startsWith('HB ') || got.end.startsWith('DIGEST ')) continue; // (DIGEST: no resume stamp, start > 1)
    t.is(got.end, 'END 3');
    break;
  }
  t.deepEqual(replicated, [2]);
  await follower.waitClosed();

  // Reset: the stream is gone within a second or two, although nothing is written to the log.
  for (const how of ['destroy', 'resetAndDestroy'] as const) {
    const gone = await Wire.open(server.port);
    gone.send('READ test $\n');
    await statBecomes(server.port, 'streams', 1, 5000);
    gone.socket[how]();
    t.log(`${how}: streams back to 0 after ${await statBecomes(server.port, 'streams', 0, 2000)} ms`);
  }
  t.is(await observer.command('HEAD test'), 'OK 2', 'nothing was written meanwhile');
});

test('STATS records_in/bytes_in count what was stored; records_out/bytes_out the frames READ sent, not REPLICATE', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const w = await Wire.open(server.port);
  t.teardown(() => w.close());
  // Refused writes count nothing: no such log, a refused log, a bad name, a bad APPEND.
  t.is(await w.command('MSG bob x'), 'ERR nolog bob');
  t.is(await w.command('REFUSE test'), 'OK');
  t.regex(await w.command('MSG test refused'), /^ERR readonly /);
  w.send('APPEND test 3\nabc\n');
  t.regex(await w.line(), /^ERR readonly /);
  t.regex(await w.command('MSG ../x y'), /^ERR syntax /);
  t.is(await w.command('ACCEPT test'), 'OK');
  let s = await stats(server.port);
  t.deepEqual([s.get('records_in'), s.get('bytes_in')], [0, 0]);

  t.is(await w.command('MSG test hello'), 'OK 1');
  w.send('APPEND test 3 0\nabc\n\n');
  t.is(await w.line(), 'OK 2 3');
  s = await stats(server.port);
  t.deepEqual([s.get('records_in'), s.get('bytes_in')], [3, 8]);

  w.send('READ test 1 NOWAIT\n');
  const { records, end } = await w.records();
  t.is(end, 'END 4');
  const frameBytes = records.reduce(
    (n, r) => n + `REC ${r.id} ${r.ts} ${r.payload.length} ${r.crc.toString(16).padStart(8, '0')}\r\n`.length + r.payload.length + 2,
    0,
  );
  s = await stats(server.port);
  t.deepEqual([s.get('records_out'), s.get('bytes_out')], [3, frameBytes]);

  const follower = await Wire.open(server.port);
  t.teardown(() => follower.close());
  follower.send('REPLICATE test 1\n');
  t.is(await follower.line(), 'HB 3');
  await statBecomes(server.port, 'repl_bytes_out', frameBytes, 5000);
  follower.send('STOP\n');
  let replicated = 0;
  for (;;) {
    const got = await follower.records();
    replicated += got.records.length;
    if (got.end.startsWith('HB ')) continue; // a heartbeat between frames
    t.is(got.end, 'END 4');
    break;
  }
  t.is(await follower.line(), 'OK');
  t.is(replicated, 3);
  s = await stats(server.port);
  t.deepEqual([s.get('records_out'), s.get('bytes_out'), s.get('repl_bytes_out')], [3, frameBytes, frameBytes]);
});
