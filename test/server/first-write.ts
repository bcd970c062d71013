import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';

test('pipelined first writes to a new log keep their order', async (t) => {
  const server = await startServer();
  t.teardown(() => server.stop());
  const wire = await Wire.open(server.port);
  let batch = '';
  for (let i = 1; i <= 2000; i++) batch += `MSG test.new m${i}\n`;
  wire.send(batch);
  for (let i = 1; i <= 2000; i++) t.is(await wire.line(), `OK ${i}`);
  wire.send('READ test.new 1 2000 NOWAIT\n');
  const { records } = await wire.records();
  t.true(records.every((r, i) => r.payload.toString() === `m${i + 1}`));
  wire.close();
});
