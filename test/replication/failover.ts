import test from 'ava';
import { Cluster, logs, readAll, stats, talk, waitFor, write } from './_cluster.ts';

const text = async (port: number, commands: string) => (await talk(port, commands)).toString('latin1');

test('failover: REFUSE on the owner, ACCEPT on a replica, participants file pointing at the new writer', async (t) => {
  const names = ['alice', 'bob', 'carol'];
  const cluster = await Cluster.create(names);
  t.teardown(() => cluster.stopAll());
  await Promise.all(names.map((n) => cluster.start(n)));
  const [alice, bob, carol] = [cluster.port('alice'), cluster.port('bob'), cluster.port('carol')];
  const headOf = async (port: number) => (await logs(port)).get('alice')?.head;

  await write(alice, 'alice', 20, 'a');
  await waitFor('replicas at 20', async () => (await headOf(bob)) === 20 && (await headOf(carol)) === 20);

  t.is(await text(alice, 'REFUSE alice\n'), 'OK\r\nOK\r\n');
  t.regex(await text(alice, 'MSG alice late\n'), /^ERR readonly alice is refused on this node \(failover\)\r\n/);
  t.like((await logs(alice)).get('alice'), { role: 'replica', failover: 'refused', head: 20 });
  t.regex(await text(bob, 'MSG alice early\n'), /^ERR readonly alice is owned by alice\r\n/);
  t.is(await text(bob, 'ACCEPT alice\n'), 'OK\r\nOK\r\n');
  t.is(await text(bob, 'MSG alice from bob\n'), 'OK 21\r\nOK\r\n');
  const onBob = (await logs(bob)).get('alice')!;
  t.like(onBob, { role: 'owner', failover: 'accepted', head: 21 });
  t.false('state' in onBob);
  t.regex(cluster.nodes.get('bob')!.stderr(), /failover: this node accepts writes for alice from id 21/);

  // Every participants file now names bob's address for alice.
  for (const n of names)
    cluster.writePeers(n, [
      ['alice', bob],
      ['bob', bob],
      ['carol', carol],
    ]);
  await write(bob, 'alice', 9, 'b');
  await waitFor('alice and carol to follow bob', async () => (await headOf(alice)) === 30 && (await headOf(carol)) === 30);
  const bytes = await readAll(bob, 'alice');
  t.deepEqual(await readAll(alice, 'alice'), bytes);
  t.deepEqual(await readAll(carol, 'alice'), bytes);
  t.like((await logs(carol)).get('alice'), { role: 'replica', state: 'live', source: 'alice' });

  // The roles survive a restart.
  await cluster.nodes.get('bob')!.stop();
  await cluster.start('bob');
  t.is(await text(bob, 'MSG alice after restart\n'), 'OK 31\r\nOK\r\n');
  await cluster.nodes.get('alice')!.stop();
  await cluster.start('alice');
  t.regex(await text(alice, 'MSG alice x\n'), /^ERR readonly alice is refused/);
  await waitFor('alice to follow bob again', async () => (await headOf(alice)) === 31);
});

test('participants added and removed at runtime', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob', 'dave']);
  t.teardown(() => cluster.stopAll());
  const [alice, bob, dave] = [cluster.port('alice'), cluster.port('bob'), cluster.port('dave')];
  cluster.writePeers('alice', [
    ['alice', alice],
    ['bob', bob],
  ]);
  cluster.writePeers('bob', [
    ['alice', alice],
    ['bob', bob],
  ]);
  cluster.writePeers('dave', [['dave', dave]]);
  await Promise.all(['alice', 'bob', 'dave'].map((n) => cluster.start(n)));
  await write(dave, 'dave', 10, 'd');
  await write(dave, 'dave.extra', 3, 'x');
  t.regex(await text(alice, 'READ dave 1\n'), /^ERR nolog dave\r\n/);

  const all: [string, number][] = [
    ['alice', alice],
    ['bob', bob],
    ['dave', dave],
  ];
  for (const n of ['alice', 'bob', 'dave']) cluster.writePeers(n, all);
  await waitFor("dave's logs everywhere, and theirs on dave", async () => {
    for (const port of [alice, bob]) {
      const held = await logs(port);
      if (held.get('dave')?.head !== 10 || held.get('dave.extra')?.head !== 3) return false;
    }
    const onDave = await logs(dave);
    return onDave.get('alice')?.state === 'live' && onDave.get('bob')?.state === 'live';
  });
  t.regex(cluster.nodes.get('alice')!.stderr(), /participants file .* changed: alice=.* bob=.* dave=/);

  // alice drops dave: its replicas stop following, their data stays.
  cluster.writePeers('alice', [
    ['alice', alice],
    ['bob', bob],
  ]);
  await waitFor('alice to stop following dave', async () => !('state' in (await logs(alice)).get('dave')!));
  // Only bob's two REPLICATE streams (dave, dave.extra) stay open on dave: alice's sessions ended.
  await waitFor("alice's streams on dave to end", async () => (await stats(dave)).get('streams') === 2);
  await write(dave, 'dave', 5, 'later');
  await waitFor('bob to get the new records', async () => (await logs(bob)).get('dave')?.head === 15);
  t.is((await stats(dave)).get('streams'), 2, 'alice opened no new session');
  t.like((await logs(alice)).get('dave'), { role: 'replica', head: 10 });
  t.regex(await text(alice, 'READ dave 1 1\n'), /^REC 1 \d+ 2 [0-9a-f]{8}\r\nd0\r\nEND 2\r\n/);
  t.regex(await text(alice, 'MSG dave.extra no\n'), /^ERR readonly dave.extra is owned by dave/);
});
