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
  t.is(records[0]?.payload.toString(), `m${n - 1}`);
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

test('large MSGs written a few bytes at a time, pipelined with small ones, come back byte for byte', async (t) => {
  // A MSG over 16 KiB that spans socket reads keeps its text in those reads down to the disk
  // (protocol/pieces.ts, storage/round.ts): the stored record must not tell.
  const server = await startServer();
  t.teardown(() => server.stop());
  const wire = await Wire.open(server.port);
  const texts = [70_000, 10, 16_384, 200_000, 3, 65_536].map((size, i) => {
    const text = Buffer.alloc(size);
    for (let j = 0; j < size; j++) text[j] = 33 + ((i * 7 + j) % 90);
    return text;
  });
  const bytes = Buffer.concat(texts.flatMap((text) => [Buffer.from('MSG test '), text, Buffer.from('\r\n')]));
  for (let pos = 0; pos < bytes.length; pos += 9_973) {
    wire.send(bytes.subarray(pos, pos + 9_973));
    await new Promise((resolve) => setImmediate(resolve));
  }
  for (let i = 1; i <= texts.length; i++) t.is(await wire.line(), `OK ${i}`);
  wire.send(`READ test 1 ${texts.length}\n`);
  const { records } = await wire.records();
  t.deepEqual(
    records.map((r) => r.payload.length),
    texts.map((x) => x.length),
  );
  for (const [i, text] of texts.entries()) t.true(records[i]?.payload.equals(text), `record ${i + 1}`);
  wire.close();
});
