// Acknowledgements that cannot lie: a scripted peer over TCP sends forged ACKs on a REPLICATE
// stream; only true ones count (LOGS, retention), the others are counted in STATS bad_acks and
// logged once per stream. Taken ones survive a restart of the writer.
import test from 'ava';
import { readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as connectClient } from '../../src/client/index.ts';
import { Cluster, logs, stats, talk, waitFor, write } from './_cluster.ts';

/** A REPLICATE stream driven by hand: collects what the source sends, sends what the test says. */
class ScriptedFollower {
  private text = '';
  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (this.text += d));
    socket.on('error', () => {});
  }

  static open(port: number, line: string): Promise<ScriptedFollower> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(line + '\n');
        resolve(new ScriptedFollower(socket));
      });
    });
  }

  /** Resolves once the record with this id has arrived. */
  received(id: number): Promise<void> {
    return waitFor(`record ${id} on the stream`, () => new RegExp(`(^|\\n)REC ${id} `).test(this.text), 10_000);
  }

  send(line: string): void {
    this.socket.write(line + '\n');
  }

  close(): void {
    this.socket.destroy();
  }
}

async function aliceWithBob(t: { teardown(fn: () => Promise<void>): void }, args: string[] = []) {
  // bob is named in alice's participants file but never started: the test plays him.
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice', { args });
  return cluster;
}

test('forged ACKs (unknown node, the writer itself, id never sent, backwards) are ignored, counted and logged once per stream; a repeat is harmless', async (t) => {
  const cluster = await aliceWithBob(t);
  const alice = cluster.port('alice');
  await write(alice, 'alice', 10, 'r');
  const peer = await ScriptedFollower.open(alice, 'REPLICATE alice 1');
  t.teardown(() => peer.close());
  await peer.received(10);

  peer.send('ACK mallory 5'); // not a participant
  peer.send('ACK bob 999999'); // never sent
  peer.send('ACK bob 6'); // true
  peer.send('ACK bob 4'); // backwards
  peer.send('ACK alice 7'); // the writer itself is no participant of its own log
  peer.send('ACK bob 6'); // a repeat: harmless, not bad
  await waitFor('four bad ACKs counted', async () => (await stats(alice)).get('bad_acks') === 4);
  const info = (await logs(alice)).get('alice')!;
  t.is(info['ack.bob'], 6);
  t.false('ack.mallory' in info);
  t.false('ack.alice' in info);
  const lines =
    cluster.nodes
      .get('alice')!
      .stderr()
      .match(/ignored ACK.*/g) ?? [];
  t.is(lines.length, 1, lines.join('\n'));
  t.regex(lines[0] ?? '', /ignored ACK mallory 5: mallory is not a participant/);

  // A second stream of the same follower logs its own first bad ACK; ids below its start were not sent on it.
  const again = await ScriptedFollower.open(alice, 'REPLICATE alice 8');
  t.teardown(() => again.close());
  await again.received(10);
  again.send('ACK bob 7');
  again.send('ACK bob 10');
  await waitFor('bob at 10', async () => (await logs(alice)).get('alice')!['ack.bob'] === 10);
  t.is((await stats(alice)).get('bad_acks'), 5);
  t.regex(cluster.nodes.get('alice')!.stderr(), /ignored ACK bob 7: this stream sent ids 8 to 10 only/);
  // The ids are stored (ack store) within a fraction of a second.
  await waitFor('the ack file', () => /^alice 10$/m.test(readFileSync(join(cluster.dataDir('alice'), '.acks', 'bob'), 'latin1')));
});

test('an ACK on a stream that has sent nothing yet, or one naming another node than the stream serves, is refused', async (t) => {
  const cluster = await aliceWithBob(t);
  cluster.writePeers('alice', [
    ['alice', cluster.port('alice')],
    ['bob', 1],
    ['carol', 2],
  ]);
  const alice = cluster.port('alice');
  await write(alice, 'alice', 3, 'r');
  await waitFor('carol known to alice', () => /participants file .* changed/.test(cluster.nodes.get('alice')!.stderr()));
  const peer = await ScriptedFollower.open(alice, 'REPLICATE alice 4');
  t.teardown(() => peer.close());
  await waitFor('the heartbeat', async () => (await stats(alice)).get('streams') === 1);
  peer.send('ACK bob 4');
  await waitFor('one bad ACK', async () => (await stats(alice)).get('bad_acks') === 1);
  t.regex(cluster.nodes.get('alice')!.stderr(), /ignored ACK bob 4: nothing was sent on this stream yet/);
  await write(alice, 'alice', 2, 's');
  await peer.received(5);
  peer.send('ACK carol 5');
  peer.send('ACK bob 5');
  await waitFor('two bad ACKs', async () => (await stats(alice)).get('bad_acks') === 2);
  const info = (await logs(alice)).get('alice')!;
  t.is(info['ack.carol'], 5);
  t.false('ack.bob' in info);
});

test('acknowledged ids survive a crash of the writer: --retain-until-replicated trims what was acknowledged, and nothing more', async (t) => {
  const cluster = await aliceWithBob(t);
  const alice = cluster.port('alice');
  await cluster.start('bob', { args: ['--chunk-bytes', '1024'] });
  for (let k = 0; k < 10; k++) await write(alice, 'alice', 10, `record ${k} `);
  await waitFor('bob to acknowledge 100', async () => (await logs(alice)).get('alice')?.['ack.bob'] === 100);
  await waitFor('the ack file', () => /^alice 100$/m.test(readFileSync(join(cluster.dataDir('alice'), '.acks', 'bob'), 'latin1')));
  await cluster.nodes.get('bob')!.kill();
  await cluster.nodes.get('alice')!.kill();

  // Restarted with retention; bob stays down, so only the stored acknowledgement lets it trim.
  await cluster.start('alice', { args: ['--chunk-bytes', '1024', '--retain-bytes', '1024', '--retain-until-replicated'] });
  t.is((await logs(alice)).get('alice')?.['ack.bob'], 100);
  for (let k = 10; k < 20; k++) await write(alice, 'alice', 10, `record ${k} `);
  await waitFor('retention to trim what bob acknowledged', async () => (await logs(alice)).get('alice')!.first > 1);
  await waitFor('a pass held back by bob', () =>
    /retention: alice now starts at id \d+ \(was \d+\) \(held back by unacknowledged records\)/.test(cluster.nodes.get('alice')!.stderr()),
  );
  t.true((await logs(alice)).get('alice')!.first <= 101, 'nothing bob has not acknowledged is deleted');
});

test('the head a follower proved with its resume stamp may be acknowledged on a stream that sent nothing; without the stamp it may not', async (t) => {
  const cluster = await aliceWithBob(t);
  const alice = cluster.port('alice');
  await write(alice, 'alice', 5, 'r');
  const header = /^REC 5 (\d+ \d+ [0-9a-f]{8})\r\n/.exec((await talk(alice, 'READ alice 5 1\n')).toString('latin1'))![1];

  const proven = await ScriptedFollower.open(alice, `REPLICATE alice 6 ${header}`);
  t.teardown(() => proven.close());
  await waitFor('the stream to run', async () => (await stats(alice)).get('streams') === 1);
  proven.send('ACK bob 4'); // below what it proved
  proven.send('ACK bob 5');
  await waitFor('bob at 5', async () => (await logs(alice)).get('alice')!['ack.bob'] === 5);
  t.is((await stats(alice)).get('bad_acks'), 1);
  t.regex(cluster.nodes.get('alice')!.stderr(), /ignored ACK bob 4: nothing was sent on this stream yet; the follower proved it holds 5/);
  proven.close();

  const unproven = await ScriptedFollower.open(alice, 'REPLICATE alice 6');
  t.teardown(() => unproven.close());
  await waitFor('the second stream to run', async () => (await stats(alice)).get('streams') === 1);
  unproven.send('ACK bob 5');
  await waitFor('a second bad ACK', async () => (await stats(alice)).get('bad_acks') === 2);
});

test("a writer that lost its stored acknowledgements learns them again from the followers' next sessions: WAIT answers without new writes", async (t) => {
  const cluster = await aliceWithBob(t);
  const alice = cluster.port('alice');
  await cluster.start('bob');
  await write(alice, 'alice', 50, 'r');
  await waitFor('bob to acknowledge 50', async () => (await logs(alice)).get('alice')?.['ack.bob'] === 50);
  await cluster.nodes.get('alice')!.kill();
  rmSync(join(cluster.dataDir('alice'), '.acks'), { recursive: true, force: true });
  await cluster.start('alice');
  const client = await connectClient({ host: '127.0.0.1', port: alice });
  t.teardown(() => client.destroy());
  t.is(await client.wait('alice', 50, 1, 20_000), 1);
  t.is((await logs(alice)).get('alice')?.['ack.bob'], 50);
});
