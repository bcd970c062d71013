import test from 'ava';
import { Cluster, TcpProxy, logs, readAll, waitFor, write, type LogInfo } from './_cluster.ts';

/** alice, and bob reaching alice only through a proxy (plus carol, direct, when given). */
async function setup(t: { teardown(fn: () => Promise<void>): void }, names: string[]) {
  const cluster = await Cluster.create(names);
  const proxy = await TcpProxy.start(cluster.port('alice'));
  t.teardown(async () => {
    await proxy.close();
    await cluster.stopAll();
  });
  cluster.writePeers(
    'bob',
    names.map((n) => [n, n === 'alice' ? proxy.port : cluster.port(n)]),
  );
  await Promise.all(names.map((n) => cluster.start(n)));
  const aliceOnBob = async (): Promise<LogInfo | undefined> => (await logs(cluster.port('bob'))).get('alice');
  return { cluster, proxy, aliceOnBob };
}

test('a cut link shows down within 3 s and catches up when it returns', async (t) => {
  const { cluster, proxy, aliceOnBob } = await setup(t, ['alice', 'bob']);
  await write(cluster.port('alice'), 'alice', 100, 'a');
  await waitFor('bob live at 100', async () => (await aliceOnBob())?.state === 'live' && (await aliceOnBob())?.head === 100);

  proxy.stopForwarding();
  const cut = Date.now();
  await write(cluster.port('alice'), 'alice', 100, 'b');
  await waitFor('bob to show alice down', async () => (await aliceOnBob())?.state === 'down', 10_000);
  t.true(Date.now() - cut < 7000, `down after ${Date.now() - cut} ms`);
  await proxy.down();
  t.like(await aliceOnBob(), { head: 100, state: 'down', source: 'alice' });
  await waitFor('bob to log the peer down', () => /peer alice down at/.test(cluster.nodes.get('bob')!.stderr()));

  await proxy.up();
  await waitFor('bob to catch up', async () => (await aliceOnBob())?.head === 200, 15_000);
  await write(cluster.port('alice'), 'alice', 10, 'c');
  await waitFor('bob live at 210', async () => {
    const info = await aliceOnBob();
    return info?.head === 210 && info.state === 'live';
  });
  t.deepEqual(await readAll(cluster.port('bob'), 'alice'), await readAll(cluster.port('alice'), 'alice'));
  t.regex(cluster.nodes.get('bob')!.stderr(), /peer alice down at .*\n(.*\n)*.*peer alice up at/);
});

test('with the owner unreachable, a follower catches up from a relay holding a longer prefix, then returns to the owner', async (t) => {
  const { cluster, proxy, aliceOnBob } = await setup(t, ['alice', 'bob', 'carol']);
  await write(cluster.port('alice'), 'alice', 100, 'a');
  await waitFor('bob live at 100 from alice', async () => (await aliceOnBob())?.head === 100);

  await proxy.down();
  await write(cluster.port('alice'), 'alice', 150, 'b');
  await waitFor(
    'bob to catch up through carol',
    async () => {
      const info = await aliceOnBob();
      return info?.head === 250 && info.source === 'carol';
    },
    15_000,
  );
  t.deepEqual(await readAll(cluster.port('bob'), 'alice'), await readAll(cluster.port('alice'), 'alice'));

  await proxy.up();
  await waitFor('bob back on alice', async () => (await aliceOnBob())?.source === 'alice', 15_000);
  await write(cluster.port('alice'), 'alice', 5, 'c');
  await waitFor('bob live at 255 from alice', async () => {
    const info = await aliceOnBob();
    return info?.head === 255 && info.state === 'live' && info.source === 'alice';
  });
  t.deepEqual(await readAll(cluster.port('bob'), 'alice'), await readAll(cluster.port('alice'), 'alice'));
});
