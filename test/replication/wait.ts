// WAIT for replicas against real nodes: the raw command, the client's wait() and
// msg({ replicas }), and logtool write --replicas.
import test from 'ava';
import { connect, NotReplicatedError } from '../../src/client/index.ts';
import { logtool } from '../tools/_tools.ts';
import { Cluster, logs, talk, waitFor } from './_cluster.ts';

const text = async (port: number, commands: string) => (await talk(port, commands)).toString('latin1');

test('WAIT answers as soon as enough participants acknowledged, with the count at the timeout otherwise, and only on the writer', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob', 'carol']);
  t.teardown(() => cluster.stopAll());
  await Promise.all(['alice', 'bob', 'carol'].map((n) => cluster.start(n)));
  const alice = cluster.port('alice');
  const client = await connect({ host: '127.0.0.1', port: alice });
  t.teardown(() => client.destroy());

  const id = await client.msg('alice', 'first', { replicas: 2, timeoutMs: 20_000 });
  t.is(id, 1);
  const info = (await logs(alice)).get('alice')!;
  t.true((info['ack.bob'] as number) >= 1 && (info['ack.carol'] as number) >= 1, 'both stored it when msg returned');
  t.is(await client.wait('alice', 1, 2, 1000), 2);
  t.is(await client.wait('alice', 1, 0), 2, 'replicas 0: at once, with the count');

  // carol away: at most one replica, reported when the timeout passes.
  await cluster.nodes.get('carol')!.stop();
  const id2 = await client.msg('alice', 'second', { replicas: 1, timeoutMs: 20_000 });
  const started = Date.now();
  t.is(await client.wait('alice', id2, 2, 300), 1);
  t.true(Date.now() - started >= 290, 'waited for the timeout');
  const err = await t.throwsAsync(client.msg('alice', 'third', { replicas: 2, timeoutMs: 200 }), { instanceOf: NotReplicatedError });
  t.like(err, { log: 'alice', id: 3, acknowledged: 1, wanted: 2 });

  // A WAIT without timeout answers once carol is back and has copied.
  const pending = client.wait('alice', 3, 2);
  await cluster.start('carol');
  t.is(await pending, 2);

  t.regex(await text(cluster.port('bob'), 'WAIT alice 1 1\n'), /^ERR readonly alice is not written on this node/);
  t.regex(await text(alice, 'WAIT nosuch 1 1\n'), /^ERR nolog nosuch/);
});

test('a WAIT without timeout whose client disconnects leaves the node well', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice');
  const alice = cluster.port('alice');
  const client = await connect({ host: '127.0.0.1', port: alice });
  await client.msg('alice', 'x');
  const pending = client.wait('alice', 1, 1);
  await waitFor('the WAIT to run', async () => /cmd\.wait 1/.test(await text(alice, 'STATS\n')));
  client.destroy();
  await t.throwsAsync(pending);
  t.is(await text(alice, 'PING\n'), 'PONG\r\nOK\r\n');
});

test('logtool write --replicas N waits for N participants; exit 1 when fewer stored it in --timeout', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice');
  await cluster.start('bob');
  const net = ['--host', '127.0.0.1', '--port', String(cluster.port('alice'))];
  const ok = await logtool(['write', 'alice', 'hello', '--replicas', '1', '--timeout', '20000', ...net]);
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, '1\n');
  t.is((await logs(cluster.port('bob'))).get('alice')?.head, 1);
  const piped = await logtool(['write', 'alice', '--replicas', '1', ...net], 'a\nb\n');
  t.is(piped.code, 0, piped.stderr);
  t.is(piped.stdout, '3\n');
  t.is((await logs(cluster.port('bob'))).get('alice')?.head, 3);

  await cluster.nodes.get('bob')!.stop();
  const short = await logtool(['write', 'alice', 'more', '--replicas', '1', '--timeout', '200', ...net]);
  t.is(short.code, 1);
  t.is(short.stdout, '4\n');
  t.regex(short.stderr, /timed out: alice 4 is stored on 0 of the 1 replicas wanted after 200 ms/);
});
