// TLS: a node with --tls-cert/--tls-key serves only TLS; its followers replicate over TLS,
// verifying their peers against --tls-ca; a plain-text client is refused.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connect, type Client } from '../../src/client/index.ts';
import { Cluster, waitFor } from '../replication/_cluster.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/tls/', import.meta.url));
const CA = readFileSync(FIXTURES + 'ca.pem');
const tlsArgs = (ca: string) => ['--tls-cert', FIXTURES + 'node.pem', '--tls-key', FIXTURES + 'node.key', '--tls-ca', FIXTURES + ca];

async function client(port: number): Promise<Client> {
  return connect({ port, tls: { ca: CA } });
}

/** What a plain-text client gets for `PING` from a TLS port: every byte until the server closes. */
function plainPing(port: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const socket = netConnect(port, '127.0.0.1', () => socket.write('PING\n'));
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(got));
  });
}

test('a follower replicates over TLS; a plain client and a follower trusting another CA get nothing', async (t) => {
  t.timeout(60_000);
  const cluster = await Cluster.create(['alice', 'bob', 'carol']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice', { args: tlsArgs('ca.pem') });
  await cluster.start('bob', { args: tlsArgs('ca.pem') });
  await cluster.start('carol', { args: tlsArgs('other-ca.pem') });

  const alice = await client(cluster.port('alice'));
  t.teardown(() => alice.destroy());
  t.deepEqual(await alice.append('alice', ['one', 'two', Buffer.from([0, 1, 2, 255])]), { first: 1, last: 3 });
  const bob = await client(cluster.port('bob'));
  t.teardown(() => bob.destroy());
  await waitFor('bob to copy alice over TLS', async () => (await bob.head('alice')) === 3);
  const copied: Buffer[] = [];
  for await (const record of bob.read('alice', 1)) copied.push(record.payload);
  t.deepEqual(copied, [Buffer.from('one'), Buffer.from('two'), Buffer.from([0, 1, 2, 255])]);

  const reply = await plainPing(cluster.port('alice'));
  t.false(reply.includes('PONG'), 'a plain-text client gets no answer');
  await waitFor('the failed handshake to be counted', async () => Number((await alice.stats()).tls_failures) >= 1);

  const carol = cluster.nodes.get('carol')!;
  await waitFor("carol to refuse alice's certificate", () => /peer alice down at .*(self.signed|unable to verify|certificate)/i.test(carol.stderr()));
  const carolClient = await connect({ port: cluster.port('carol'), tls: { ca: readFileSync(FIXTURES + 'other-ca.pem') } }).catch((err: Error) => err);
  t.true(carolClient instanceof Error, 'the client library verifies the server certificate too');
  const viaAlicesCa = await client(cluster.port('carol'));
  t.teardown(() => viaAlicesCa.destroy());
  t.true((await viaAlicesCa.head('alice').catch(() => 0)) === 0, 'carol holds no record of alice');
});

test('failed and half-open TLS handshakes never leak a connection slot; pending ones count against --max-conns', async (t) => {
  t.timeout(60_000);
  const cluster = await Cluster.create(['alice']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice', { args: [...tlsArgs('ca.pem'), '--max-conns', '20'] });
  const port = cluster.port('alice');
  // Regression: each failed handshake used to keep its socket and slot (allowHalfOpen).
  for (let i = 0; i < 30; i++) t.false((await plainPing(port)).includes('PONG'));
  const ok = await client(port);
  await ok.ping();
  ok.destroy();

  // 40 raw TCP connections that never start their handshake: 20 are held, 20 dropped at once.
  let closed = 0;
  const raw = Array.from({ length: 40 }, () => {
    const socket = netConnect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('close', () => closed++);
    return socket;
  });
  t.teardown(() => {
    for (const s of raw) s.destroy();
  });
  await waitFor('20 connections to be dropped', () => closed === 20, 5000);
  await t.throwsAsync(client(port), undefined, 'no room while 20 handshakes are pending');
  // Gone clients free their slots, at the latest when their handshake times out (10 s).
  for (const s of raw) s.destroy();
  const connects = async (): Promise<boolean> => {
    try {
      (await client(port)).destroy();
      return true;
    } catch {
      return false;
    }
  };
  await waitFor('the slots to be free', connects, 15_000);
  t.is(closed, 40);
});
