// Access control beyond the transcripts (auth, auth-public-read): wrong tokens are counted,
// answered late and end the connection, and a cluster's nodes authenticate to each other with the shared token.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { Cluster, talk, waitFor, write } from '../replication/_cluster.ts';

/** STATS as a map, over an authenticated connection. */
async function stats(wire: Wire): Promise<Map<string, number>> {
  wire.send('STATS\n');
  const out = new Map<string, number>();
  for (let line = await wire.line(); line !== 'END'; line = await wire.line()) {
    const [, name = line, value] = line.split(' ');
    out.set(name, Number(value));
  }
  return out;
}

test('a wrong token is counted, answered late and ends the connection: nothing pipelined after it runs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logd-token-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startServer({ dir: join(dir, 'refused'), args: ['--token-file', '/dev/null'] }).catch((err: Error) => err);
  t.true(server instanceof Error && /--token-file \/dev\/null: the first line is empty/.test(server.message), 'an empty token is refused at start');
  writeFileSync(join(dir, 'token'), 's3cret\n');
  const node = await startServer({ args: ['--token-file', join(dir, 'token')] });
  t.teardown(() => node.stop());
  const wire = await Wire.open(node.port);
  const sent = Date.now();
  wire.send('AUTH guess1\nAUTH s3cret\nMSG test x\n');
  t.is(await wire.line(), 'ERR auth wrong token');
  const answered = Date.now() - sent;
  await wire.waitClosed();
  t.is(wire.pending().length, 0, 'nothing after the wrong token was answered');
  t.log(`the wrong token was answered after ${answered} ms, then the connection closed`);
  t.true(answered >= 240, `answered after ${answered} ms`);

  const next = await Wire.open(node.port);
  t.teardown(() => next.close());
  t.is(await next.command('AUTH s3cret'), 'OK');
  t.is(await next.command('HEAD test'), 'OK 0', 'the MSG sent after the wrong token never ran');
  t.is((await stats(next)).get('auth_failures'), 1);
});

test('60 connections guessing tokens cannot keep --max-conns 50 full: each closes after its late answer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logd-token-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), 's3cret\n');
  const node = await startServer({ args: ['--token-file', join(dir, 'token'), '--max-conns', '50'] });
  t.teardown(() => node.stop());
  const guessers = await Promise.all(Array.from({ length: 60 }, () => Wire.open(node.port)));
  t.teardown(() => {
    for (const g of guessers) g.close();
  });
  const start = Date.now();
  // Each guesser pipelines guesses, as an attacker holding its slot would.
  for (const [i, g] of guessers.entries()) g.send(`AUTH guess-${i}\nAUTH guess-${i}b\nAUTH guess-${i}c\n`);
  const answers = await Promise.all(guessers.map((g) => g.line()));
  const took = Date.now() - start;
  await Promise.all(guessers.map((g) => g.waitClosed()));
  t.is(answers.filter((a) => a === 'ERR auth wrong token').length, 50);
  t.is(answers.filter((a) => a.startsWith('ERR busy')).length, 10);
  t.true(
    guessers.every((g) => g.pending().length === 0),
    'one answer per connection, the later guesses never ran',
  );
  // Wrong-token answers leave one per 20 ms server-wide.
  t.log(`50 guesses on 50 connections answered within ${took} ms, then every guesser was closed`);
  t.true(took >= 49 * 20, `50 parallel guesses took only ${took} ms`);
  const user = await Wire.open(node.port);
  t.teardown(() => user.close());
  t.is(await user.command('AUTH s3cret'), 'OK', 'a slot is free again');
  t.is((await stats(user)).get('auth_failures'), 50);
});

test('nodes sharing the token replicate; a node with another token gets nothing and says why', async (t) => {
  t.timeout(60_000);
  const cluster = await Cluster.create(['alice', 'bob', 'mallory']);
  t.teardown(() => cluster.stopAll());
  const token = (name: string, text: string) => {
    const file = join(cluster.root, `${name}.token`);
    writeFileSync(file, text + '\n');
    return ['--token-file', file];
  };
  await cluster.start('alice', { args: token('alice', 'cluster-secret') });
  await cluster.start('bob', { args: token('bob', 'cluster-secret') });
  await cluster.start('mallory', { args: token('mallory', 'a-guess') });
  const alice = cluster.port('alice');
  // The cluster helpers speak without AUTH: everything is refused.
  await t.throwsAsync(write(alice, 'alice', 1, 'x'), { message: /ERR auth AUTH required/ });

  const authed = async (port: number) => {
    const wire = await Wire.open(port);
    t.is(await wire.command('AUTH cluster-secret'), 'OK');
    return wire;
  };
  const writer = await authed(alice);
  for (let i = 1; i <= 20; i++) t.is(await writer.command(`MSG alice record-${i}`), `OK ${i}`);
  const bob = await authed(cluster.port('bob'));
  await waitFor('bob to copy alice', async () => (await bob.command('HEAD alice')) === 'OK 20');
  bob.send('READ alice 1 20\n');
  const { records } = await bob.records();
  t.deepEqual(
    records.map((r) => r.payload.toString()),
    Array.from({ length: 20 }, (_, i) => `record-${i + 1}`),
  );

  const mallory = cluster.nodes.get('mallory')!;
  await waitFor('mallory to report the refusal', () => /peer alice down at .*ERR auth wrong token/.test(mallory.stderr()));
  const own = await Wire.open(cluster.port('mallory'));
  t.is(await own.command('AUTH a-guess'), 'OK');
  t.regex(await own.command('HEAD alice'), /^(OK 0|ERR nolog alice)$/, 'mallory holds no record of alice');
  t.true(((await stats(writer)).get('auth_failures') ?? 0) >= 1);
  writer.close();
  bob.close();
  own.close();
  t.is((await talk(alice, 'READ alice 1 0 NOWAIT\nLOGS\n')).toString(), 'ERR auth AUTH required\r\n'.repeat(2) + 'OK\r\n', 'strangers read nothing');
});
