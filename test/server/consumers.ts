// Named consumers on the server: --retain-until-consumed keeps the chunks a consumer has not
// passed and frees them once its checkpoint moves on; CONSUMERS reports the lag.
import test from 'ava';
import { connect } from '../../src/client/index.ts';
import { startServer } from '../_server.ts';
import { waitFor } from '../replication/_cluster.ts';

test('--retain-until-consumed keeps every chunk a consumer has not passed, then frees it once the checkpoint moves on', async (t) => {
  const server = await startServer({ id: 'keep', args: ['--fsync', 'none', '--chunk-bytes', '1024', '--retain-bytes', '2048', '--retain-until-consumed'] });
  t.teardown(() => server.stop());
  const client = await connect({ port: server.port });
  t.teardown(() => client.destroy());
  const write = async (from: number, n: number): Promise<void> => {
    // One MSG at a time: chunks roll between records.
    for (let i = 0; i < n; i++) await client.msg('keep', `record number ${from + i} of the kept log`);
  };
  await write(1, 100);
  t.is(await client.checkpoint('slow', 'keep', 60), 60);
  for (let k = 0; k < 10; k++) await write(101 + k * 40, 40);
  const head = await client.head('keep');
  t.deepEqual(await client.consumers('keep'), [{ name: 'slow', log: 'keep', checkpoint: 60, lag: head - 60 }]);

  await waitFor('a retention pass held back by the consumer', () =>
    /retention: keep now starts at id \d+ \(was 1\) \(held back by unconsumed records\)/.test(server.stderr()),
  );
  const kept = (await client.logs()).find((l) => l.name === 'keep')!.first;
  t.true(kept > 1 && kept <= 61, `first retained id ${kept}: chunks wholly at or below the checkpoint go, record 61 stays`);
  const ids: number[] = [];
  for await (const r of client.read('keep', 61, { limit: 1 })) ids.push(r.id);
  t.deepEqual(ids, [61], 'the first record the consumer has not processed is still there');

  t.is(await client.checkpoint('slow', 'keep', head), head);
  await waitFor('retention to free what the consumer has passed', async () => (await client.logs()).find((l) => l.name === 'keep')!.first > 61);
  t.deepEqual(await client.consumers(), [{ name: 'slow', log: 'keep', checkpoint: head, lag: 0 }]);
});
