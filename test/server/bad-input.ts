import test from 'ava';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { stats, waitFor } from '../replication/_cluster.ts';

test('bad commands get the right error and the connection stays usable', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const wire = await Wire.open(server.port);
  const cases: [string, RegExp][] = [
    ['FROB x', /^ERR unknown /],
    ['MSG', /^ERR syntax /],
    ['MSG test', /^ERR syntax /],
    ['MSG ../x hi', /^ERR syntax /],
    ['HEAD ../../etc', /^ERR syntax /],
    ['READ test abc', /^ERR syntax /],
    ['READ test -1', /^ERR syntax /],
    ['READ test 99999999999999999999', /^ERR syntax /],
    ['READ test 1 2 3 4', /^ERR syntax /],
    ['HEAD nobody', /^ERR nolog /],
    ['MSG nobody hi', /^ERR nolog /],
    ['TRIM test 0', /^ERR syntax /],
    ['\x00\x01\xff\xfe garbage', /^ERR unknown /],
  ];
  for (const [line, expected] of cases) t.regex(await wire.command(line), expected, line);
  t.is(await wire.command('PING'), 'PONG');
  t.is(await wire.command('HEAD test'), 'OK 0');
  wire.close();
});

test('a 10 MB line without a newline is refused, the connection continues, memory is not held', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const wire = await Wire.open(server.port);
  const big = Buffer.alloc(10 * 1024 * 1024, 'a');
  wire.send(big);
  wire.send('\nPING\n');
  t.regex(await wire.line(30_000), /^ERR toolong /);
  t.is(await wire.line(), 'PONG');
  wire.close();
});

test('APPEND bodies: a wrong terminator closes the connection and stores nothing', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const longer = await Wire.open(server.port);
  longer.send('APPEND test 3 3\nabc\nabcdef\n'); // second body longer than declared
  t.regex(await longer.line(), /^ERR syntax /);
  await longer.waitClosed();
  const check = await Wire.open(server.port);
  t.is(await check.command('HEAD test'), 'OK 0');
  check.close();
});

test('a client that disconnects mid-APPEND stores nothing of it', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const wire = await Wire.open(server.port);
  // One write: the PONG proves the server has the partial APPEND too.
  wire.send('PING\nAPPEND test 5 5 5\nhello\nwor');
  t.is(await wire.line(), 'PONG');
  wire.close();
  await waitFor('the server to drop the connection', async () => (await stats(server.port)).get('connections') === 1);
  const check = await Wire.open(server.port);
  t.is(await check.command('HEAD test'), 'OK 0');
  check.send('APPEND test 1 0\nx\n\n');
  t.is(await check.line(), 'OK 1 2');
  check.close();
});

test("a write to another participant's log this node holds answers readonly", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logd-test-'));
  mkdirSync(join(dir, 'alice'));
  const server = await startServer({ dir });
  t.teardown(() => server.stop());
  const wire = await Wire.open(server.port);
  t.is(await wire.command('MSG alice hi'), 'ERR readonly alice is owned by alice');
  t.is(await wire.command('HEAD alice'), 'OK 0');
  wire.close();
});

test('--max-conns refuses the extra connection with ERR busy', async (t) => {
  const server = await startServer({ args: ['--max-conns', '2'] });
  t.teardown(() => server.stop());
  const a = await Wire.open(server.port);
  const b = await Wire.open(server.port);
  t.is(await a.command('PING'), 'PONG');
  t.is(await b.command('PING'), 'PONG');
  const c = await Wire.open(server.port);
  t.regex(await c.line(), /^ERR busy /);
  await c.waitClosed();
  a.close();
  await a.closed;
  // b's STATS shows when the server has let a go (1 connection: b itself).
  await waitFor('a to be let go', async () => {
    b.send('STATS\n');
    let open = -1;
    for (let line = await b.line(); line !== 'END'; line = await b.line()) if (line.startsWith('STAT connections ')) open = Number(line.split(' ')[2]);
    return open === 1;
  });
  const d = await Wire.open(server.port);
  t.is(await d.command('PING'), 'PONG');
  b.close();
  d.close();
});

test('--idle-timeout closes silent connections but not streaming ones', async (t) => {
  const server = await startServer({ args: ['--idle-timeout', '300'] });
  t.teardown(() => server.stop());
  const idle = await Wire.open(server.port);
  const follower = await Wire.open(server.port);
  follower.send('READ test 1\n');
  await idle.waitClosed(5000);
  const writer = await Wire.open(server.port);
  t.is(await writer.command('MSG test still-following'), 'OK 1');
  writer.close();
  follower.send('STOP\n');
  const { records } = await follower.records();
  t.is(records.length, 1);
  follower.close();
});
