import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { stats, waitFor } from '../replication/_cluster.ts';

test('READ follow delivers records appended later by another connection; STOP ends it', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const reader = await Wire.open(server.port);
  const writer = await Wire.open(server.port);
  t.is(await writer.command('MSG test first'), 'OK 1');
  reader.send('READ test 1\n');
  reader.send('PING\n'); // waits behind the stream
  for (let i = 2; i <= 50; i++) t.is(await writer.command(`MSG test r${i}`), `OK ${i}`);
  reader.send('STOP\n');
  const { records, end } = await reader.records();
  t.is(records.length, 50);
  t.deepEqual(
    records.map((r) => r.id),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  t.is(records[49]?.payload.toString(), 'r50');
  t.is(end, 'END 51');
  t.is(await reader.line(), 'PONG');
  t.is(await reader.line(), 'OK');
  reader.close();
  writer.close();
});

test('READ $ starts after the current head and a bounded READ waits for its records', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const reader = await Wire.open(server.port);
  const writer = await Wire.open(server.port);
  await writer.command('MSG test old');
  reader.send('READ test $ 2\n');
  // `$` is the head when the READ runs: write only once it streams.
  await waitFor('the READ to stream', async () => (await stats(server.port)).get('streams') === 1);
  await writer.command('MSG test new1');
  await writer.command('MSG test new2');
  const { records, end } = await reader.records();
  t.deepEqual(
    records.map((r) => r.payload.toString()),
    ['new1', 'new2'],
  );
  t.is(end, 'END 4');
  reader.close();
  writer.close();
});

test('SUBSCRIBE pushes the newest head; UNSUBSCRIBE stops pushes', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const sub = await Wire.open(server.port);
  const writer = await Wire.open(server.port);
  t.is(await sub.command('SUBSCRIBE test test.status'), 'OK');
  t.is(await sub.line(), 'HEAD test 0');
  t.is(await sub.line(), 'HEAD test.status 0');
  await writer.command('MSG test.status created');
  t.is(await sub.line(), 'HEAD test.status 1');
  writer.send('APPEND test 1 1 1\na\nb\nc\n');
  t.is(await writer.line(), 'OK 1 3');
  t.is(await sub.line(), 'HEAD test 3');
  t.is(await sub.command('UNSUBSCRIBE'), 'OK');
  await writer.command('MSG test more');
  t.is(await sub.command('PING'), 'PONG');
  sub.close();
  writer.close();
});

test('CLOSE during a READ ends the stream and the connection', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const reader = await Wire.open(server.port);
  reader.send('READ test 1\n');
  await waitFor('the READ to stream', async () => (await stats(server.port)).get('streams') === 1);
  reader.send('CLOSE\nPING\n');
  const { records, end } = await reader.records();
  t.is(records.length, 0);
  t.is(end, 'END 1');
  t.is(await reader.line(), 'OK');
  await reader.waitClosed();
  t.is(reader.pending().length, 0, 'nothing after CLOSE is answered');
  t.is((await stats(server.port)).get('streams'), 0);
});
