import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';

test('100k pipelined commands in one write get 100k replies in order', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const wire = await Wire.open(server.port);
  const n = 100_000;
  let batch = '';
  for (let i = 1; i <= n; i++) batch += i % 10 === 0 ? 'PING\n' : `MSG test m${i}\n`;
  wire.send(batch);
  let id = 0;
  for (let i = 1; i <= n; i++) {
    const line = await wire.line();
    const expected = i % 10 === 0 ? 'PONG' : `OK ${++id}`;
    if (line !== expected) return t.fail(`reply ${i}: got ${line}, expected ${expected}`);
  }
  t.is(await wire.command('HEAD test'), `OK ${id}`);
  wire.send(`READ test ${id} 1\n`);
  const { records, end } = await wire.records();
  t.is(records[0].payload.toString(), `m${n - 1}`);
  t.is(end, `END ${id + 1}`);
  wire.close();
});

test('replies keep command order when appends to different logs finish at different times', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const wire = await Wire.open(server.port);
  wire.send('MSG test a\nHEAD test\nMSG test.other b\nPING\nAPPEND test 1 2\nx\nyz\nHEAD test.other\n');
  t.deepEqual(
    [await wire.line(), await wire.line(), await wire.line(), await wire.line(), await wire.line(), await wire.line()],
    ['OK 1', 'OK 1', 'OK 1', 'PONG', 'OK 2 3', 'OK 1'],
  );
  wire.close();
});
