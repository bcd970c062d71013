import test from 'ava';
import { cpSync, renameSync, rmSync } from 'node:fs';
import { Cluster, logs, readAll, waitFor, write } from './_cluster.ts';

test('an owner restarted from an older copy that takes new writes: followers report diverged and keep their history', async (t) => {
  const names = ['alice', 'bob', 'carol'];
  const cluster = await Cluster.create(names);
  t.teardown(() => cluster.stopAll());
  await Promise.all(names.map((n) => cluster.start(n)));
  const aliceOn = async (n: string) => (await logs(cluster.port(n))).get('alice');
  const caughtUp = (head: number) => async () => (await aliceOn('bob'))?.head === head && (await aliceOn('carol'))?.head === head;

  await write(cluster.port('alice'), 'alice', 50, 'first ');
  await waitFor('both followers at 50', caughtUp(50));
  await cluster.nodes.get('alice')!.stop();
  const old = cluster.dataDir('alice') + '.old';
  cpSync(cluster.dataDir('alice'), old, { recursive: true });
  await cluster.start('alice');
  await write(cluster.port('alice'), 'alice', 30, 'second ');
  await waitFor('both followers at 80', caughtUp(80));
  const history = await readAll(cluster.port('alice'), 'alice');

  // carol is away while alice goes back to the old copy and reuses ids 51.. for new records.
  await cluster.nodes.get('carol')!.stop();
  await cluster.nodes.get('alice')!.stop();
  rmSync(cluster.dataDir('alice'), { recursive: true });
  renameSync(old, cluster.dataDir('alice'));
  await cluster.start('alice');
  await write(cluster.port('alice'), 'alice', 40, 'other ');
  await cluster.start('carol');

  for (const n of ['bob', 'carol']) {
    await waitFor(`${n} to report diverged`, async () => (await aliceOn(n))?.state === 'diverged');
    t.like(await aliceOn(n), { head: 80, state: 'diverged', role: 'replica' });
    t.deepEqual(await readAll(cluster.port(n), 'alice'), history, `${n} keeps its history`);
    t.regex(cluster.nodes.get(n)!.stderr(), /replica alice diverged from alice: ERR diverged .*its 80 records are kept/);
  }
  // carol asked when alice was at 90: its record 80 and alice's differ.
  t.regex(cluster.nodes.get('carol')!.stderr(), /ERR diverged record 80 of alice has crc [0-9a-f]{8} here and [0-9a-f]{8} on the follower/);
  await write(cluster.port('alice'), 'alice', 5, 'more ');
  await new Promise((r) => setTimeout(r, 1500));
  t.is((await aliceOn('bob'))?.head, 80, 'nothing of the new history is mixed in');
});
