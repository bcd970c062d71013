import test from 'ava';
import { replicatedUpTo, trimPoint } from '../../src/replication/retention.ts';
import { Cluster, logs, waitFor, write } from './_cluster.ts';

const chunks = [
  { first: 1, bytes: 1000, mtimeMs: 1_000 },
  { first: 11, bytes: 1000, mtimeMs: 2_000 },
  { first: 21, bytes: 1000, mtimeMs: 3_000 },
  { first: 31, bytes: 500, mtimeMs: 4_000 },
];

test('the trim point keeps at most retain-bytes, drops chunks older than retain-age, never the active chunk', (t) => {
  const none = { bytes: 0, ageMs: 0, untilReplicated: false, untilConsumed: false };
  t.is(trimPoint(chunks, none, 10_000), 1);
  t.is(trimPoint(chunks, { ...none, bytes: 3500 }, 10_000), 1);
  t.is(trimPoint(chunks, { ...none, bytes: 2000 }, 10_000), 21);
  t.is(trimPoint(chunks, { ...none, bytes: 1 }, 10_000), 31);
  t.is(trimPoint(chunks, { ...none, ageMs: 7_500 }, 10_000), 21);
  t.is(trimPoint(chunks, { ...none, ageMs: 1 }, 10_000), 31);
  t.is(trimPoint(chunks, { ...none, bytes: 3000, ageMs: 8_500 }, 10_000), 11);
  t.is(trimPoint([], { ...none, bytes: 1 }, 10_000), 1);
});

test('replicated up to: the lowest acknowledgement of the current participants; nothing while one never acknowledged', (t) => {
  const acks = new Map([
    ['bob', 40],
    ['carol', 25],
    ['gone', 1],
  ]);
  t.is(replicatedUpTo(['bob', 'carol'], acks), 25);
  t.is(replicatedUpTo(['bob', 'dave'], acks), 0);
  t.is(replicatedUpTo([], acks), Number.MAX_SAFE_INTEGER);
});

test('--retain-until-replicated: the owner keeps what a stopped follower has not acknowledged, then trims once it has', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  const retain = ['--chunk-bytes', '1024', '--retain-bytes', '2048'];
  await cluster.start('alice', { args: [...retain, '--retain-until-replicated'] });
  await cluster.start('bob', { args: retain });
  const alice = cluster.port('alice');
  const info = async (port: number) => (await logs(port)).get('alice');
  for (let k = 0; k < 20; k++) await write(alice, 'alice', 10, `record ${k} `);
  await waitFor('bob to acknowledge 200', async () => (await info(alice))?.['ack.bob'] === 200);
  await waitFor('alice to trim what bob has', async () => (await info(alice))!.first > 1);

  await cluster.nodes.get('bob')!.kill();
  const killedAt = cluster.nodes.get('alice')!.stderr().length;
  const aliceSinceKill = () => cluster.nodes.get('alice')!.stderr().slice(killedAt);
  for (let k = 20; k < 40; k++) await write(alice, 'alice', 10, `record ${k} `);
  await waitFor('a retention pass to hold back', () =>
    /retention: alice now starts at id \d+ \(was \d+\) \(held back by unacknowledged records\)/.test(aliceSinceKill()),
  );
  t.true((await info(alice))!.first <= 201, 'nothing bob has not acknowledged is deleted');

  // Every trim logs its new first id: none while bob was away went past 201, and bob resumes
  // from its own head (no `continues from id`: its source never trimmed what it still needed).
  const away = [...aliceSinceKill().matchAll(/retention: alice now starts at id (\d+)/g)].map((m) => Number(m[1]));
  await cluster.start('bob');
  t.true(away.length > 0 && away.every((first) => first <= 201), `trims while bob was away: ${away.join(', ')}`);
  await waitFor('bob to catch up and alice to trim past 200', async () => (await info(alice))!.first > 201 && (await info(alice))?.['ack.bob'] === 400);
  const onBob = (await info(cluster.port('bob')))!;
  t.is(onBob.head, 400);
  t.notRegex(cluster.nodes.get('bob')!.stderr(), /continues from id/);
  await waitFor('bob to trim its replica too', async () => (await info(cluster.port('bob')))!.first > 1);
});
