// Honest lag: `lag=<n>` only from a head the source told (HB, frames, its LOGS); `lag=?` while the
// source is unreachable and its head unknown, never a made-up 0.
import test from 'ava';
import { Cluster, logs, stats, waitFor, write } from './_cluster.ts';

test('a replica whose source was never heard since start shows lag=?, then the true lag once the source tells its head', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice');
  await cluster.start('bob');
  const alice = cluster.port('alice');
  const bob = cluster.port('bob');
  await write(alice, 'alice', 5, 'r');
  await waitFor('bob at 5', async () => (await logs(bob)).get('alice')?.head === 5);
  await cluster.nodes.get('bob')!.stop();
  await cluster.nodes.get('alice')!.stop();

  await cluster.start('bob');
  await waitFor('bob to try alice', async () => (await logs(bob)).get('alice')?.state === 'down');
  t.like((await logs(bob)).get('alice'), { head: 5, source: 'alice', lag: '?' });
  const s = await stats(bob);
  t.is(s.get('repl_lag_unknown'), 1);
  t.false(s.has('lag.alice'), 'no lag figure for a log whose source head is unknown');

  await cluster.start('alice');
  await write(alice, 'alice', 5, 's');
  await waitFor('bob live at 10 with lag 0', async () => {
    const info = (await logs(bob)).get('alice');
    return info?.head === 10 && info.state === 'live' && info.lag === 0;
  });
  const after = await stats(bob);
  t.is(after.get('repl_lag_unknown'), 0);
  t.is(after.get('lag.alice'), 0);
});
