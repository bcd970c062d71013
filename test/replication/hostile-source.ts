// A broken or hostile participant cannot grow a follower's memory or confuse its state: every
// length and line from a peer is checked before it is held, a violation ends the session with
// one stderr line and a backoff; heartbeats claiming records the source does not send do not
// make lag; a participants line for another name at this node's own address is refused.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { MiB, mib, watchRss } from '../hostile/_memory.ts';
import { Cluster, logs, readAll, waitFor, write } from './_cluster.ts';
import { bobFollowing, fakeSource, flood, frame, type FakeScript, type FakeSource } from './_fake-source.ts';

interface Case {
  script: FakeScript;
  /** The one stderr line the follower must leave. */
  stderr: RegExp;
  /** The violation is on the REPLICATE stream (its retries are recorded), not in LOGS. */
  stream: boolean;
}

const FLOOD_MS = 3000;
const HUGE = 'REC 1 1700000000001 9007199254740991 00000000\r\n';
const replicateWith = (name: string, send: (socket: Socket) => void): FakeScript => ({ name, replicate: (_start, socket) => send(socket) });

const CASES: Case[] = [
  {
    // A frame declaring 8 PiB, then bytes without end: the follower must not buffer them.
    script: replicateWith('huge', (s) => {
      s.write('HB 3\r\n' + HUGE);
      flood(s, Buffer.alloc(64 * 1024, 'x'), FLOOD_MS);
    }),
    stderr: /replica huge: bad stream from huge: REC frame of 9007199254740991 bytes is over the limit of 1048576, after id start/,
    stream: true,
  },
  {
    // A control line that never ends.
    script: replicateWith('longhb', (s) => {
      s.write('HB 3\r\nHB ');
      flood(s, Buffer.alloc(64 * 1024, '7'), FLOOD_MS);
    }),
    stderr: /replica longhb: bad stream from longhb: control line over 1024 bytes/,
    stream: true,
  },
  {
    script: replicateWith('garbage', (s) => s.write('HB 3\r\n\x00\x01garbage\r\n')),
    stderr: /replica garbage: unexpected line from garbage: "\\u0000\\u0001garbage"/,
    stream: true,
  },
  {
    script: replicateWith('badhb', (s) => s.write('HB -1\r\n')),
    stderr: /replica badhb: bad heartbeat from badhb: HB -1/,
    stream: true,
  },
  {
    // A LOGS reply that never ends.
    script: { name: 'endless', logs: (s) => flood(s, Buffer.from('LOG endless.x owner 1 3\r\n'.repeat(1000)), FLOOD_MS), replicate: () => {} },
    stderr: /peer endless down at 127\.0\.0\.1:\d+: reply over 100000 lines/,
    stream: false,
  },
  {
    // A LOGS reply line that never ends.
    script: {
      name: 'longline',
      logs: (s) => {
        s.write('LOG ');
        return flood(s, Buffer.alloc(64 * 1024, 'y'), FLOOD_MS);
      },
      replicate: () => {},
    },
    stderr: /peer longline down at 127\.0\.0\.1:\d+: reply line over 65536 bytes/,
    stream: false,
  },
];

test('hostile sources (huge declared lengths, endless LOGS, overlong lines, garbage): bounded memory, one stderr line each, backoff', async (t) => {
  const fakes = new Map<string, FakeSource>();
  for (const c of CASES) fakes.set(c.script.name, await fakeSource(c.script));
  const { cluster, bob } = await bobFollowing(t, fakes);
  const rss = watchRss(bob.proc.pid!);
  const base = rss.peak();

  for (const c of CASES) {
    const fake = fakes.get(c.script.name)!;
    await waitFor(`the ${c.script.name} violation to be reported`, () => c.stderr.test(bob.stderr()));
    if (!c.stream) continue;
    // Retried with a growing delay: the fourth session comes at least 200 ms after the third.
    await waitFor(`${c.script.name} to be retried`, () => fake.requests.length >= 4);
    t.true(fake.requests[3]!.at - fake.requests[2]!.at >= 200, `${c.script.name}: backoff between retries`);
  }
  // Every retry failed the same way, and each problem left one line, not one per retry.
  for (const c of CASES)
    t.is(
      bob
        .stderr()
        .split('\n')
        .filter((l) => c.stderr.test(l)).length,
      1,
      c.script.name,
    );
  // A flood outlives the first session: wait until each has run its course for a later one too.
  await waitFor('the floods to be over', () => fakes.get('huge')!.requests.length >= 6, 30_000);
  const peak = rss.stop();
  t.log(`bob's RSS: ${mib(base)} at start, peak ${mib(peak)} under the floods`);
  t.true(peak - base < 100 * MiB, `RSS grew by ${mib(peak - base)}`);
  const held = await logs(cluster.port('bob'));
  for (const name of ['huge', 'longhb', 'garbage', 'badhb']) t.like(held.get(name), { head: 0, role: 'replica', state: 'down' });
  t.false(held.has('endless.x'), 'nothing is taken from a reply that broke its bounds');
});

test('a source whose heartbeats claim an absurd head: lag counts only what the stream proves', async (t) => {
  const claim = 99999999999;
  const fake = await fakeSource({
    name: 'liar',
    replicate(start, socket) {
      socket.write(`HB ${claim}\r\n`);
      if (start <= 3) socket.write(Buffer.concat([frame(1, 'one'), frame(2, 'two'), frame(3, 'three')].slice(start - 1)));
      const timer = setInterval(() => socket.write(`HB ${claim}\r\n`), 300);
      socket.on('close', () => clearInterval(timer));
    },
  });
  const { cluster, bob } = await bobFollowing(t, new Map([['liar', fake]]));
  const liar = async () => (await logs(cluster.port('bob'))).get('liar');

  await waitFor('the claim to be exposed', () =>
    /replica liar: liar claims head 99999999999 but sent nothing past 3; its heartbeats no longer count for the lag/.test(bob.stderr()),
  );
  // From then on, session after session, the lag is what arrived: none.
  const sessions = fake.requests.length;
  let worst = 0;
  await waitFor('two more sessions', async () => {
    const info = await liar();
    worst = Math.max(worst, Number(info?.lag ?? 0));
    return fake.requests.length >= sessions + 2;
  });
  t.is(worst, 0);
  t.like(await liar(), { head: 3, lag: 0 });
  for (const r of fake.requests.slice(1)) t.regex(r.line, /^REPLICATE liar 4 1700000000003 5 [0-9a-f]{8} [0-9a-f]{8}$/);
});

test("a participants line for another name at this node's own address: the node refuses to follow itself", async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice');
  const bob = await cluster.start('bob');
  const aliceOnBob = async () => (await logs(cluster.port('bob'))).get('alice');
  await write(cluster.port('alice'), 'alice', 5, 'r');
  await waitFor('bob at 5', async () => (await aliceOnBob())?.head === 5);

  // alice's line now names bob's own address, spelled differently than bob listens on.
  const bobPort = cluster.port('bob');
  writeFileSync(cluster.peersFile('bob'), `bob 127.0.0.1:${bobPort}\nalice localhost:${bobPort}\n`);
  const self = `alice at localhost:${bobPort} is this node itself \\(it answers HELLO as bob\\)`;
  await waitFor('the replica to refuse itself as its source', async () => (await aliceOnBob())?.state === 'self');
  await waitFor('the peer line to be refused', () => new RegExp(`peer alice down at localhost:${bobPort}: ${self}`).test(bob.stderr()));
  t.regex(bob.stderr(), new RegExp(`replica alice: ${self}`));
  await write(cluster.port('alice'), 'alice', 5, 's');
  t.like(await aliceOnBob(), { head: 5, state: 'self' });

  // Fixed file: bob follows alice again.
  cluster.writePeers('bob', [
    ['bob', bobPort],
    ['alice', cluster.port('alice')],
  ]);
  await waitFor('bob at 10 and live', async () => (await aliceOnBob())?.head === 10 && (await aliceOnBob())?.state === 'live');
  t.is(
    bob
      .stderr()
      .split('\n')
      .filter((l) => l.includes('is this node itself')).length,
    2,
    'one line for the link, one for the replica',
  );
});

test('a relay whose heads are lies is dropped for an honest one while the owner is down', async (t) => {
  const fake = await fakeSource({
    name: 'liar',
    logs: (s) => s.write('LOG alice replica 1 99999 state=live\r\nEND\r\n'),
    replicate(_start, socket) {
      socket.write('HB 99999\r\n');
      const timer = setInterval(() => socket.write('HB 99999\r\n'), 300);
      socket.on('close', () => clearInterval(timer));
    },
  });
  const cluster = await Cluster.create(['alice', 'bob', 'carol']);
  t.teardown(async () => {
    await fake.close();
    await cluster.stopAll();
  });
  await cluster.start('alice');
  await cluster.start('carol');
  await write(cluster.port('alice'), 'alice', 20, 'r');
  await waitFor('carol at 20', async () => (await logs(cluster.port('carol'))).get('alice')?.head === 20);
  await cluster.nodes.get('alice')!.stop();

  // bob first knows only the liar, which claims the longest prefix: tried, caught, avoided.
  cluster.writePeers('bob', [
    ['alice', cluster.port('alice')],
    ['bob', cluster.port('bob')],
    ['liar', fake.port],
  ]);
  const bob = await cluster.start('bob');
  await waitFor('the liar to be caught', () => /replica alice: liar claims head 99999 but sent nothing past 0/.test(bob.stderr()));
  const asked = fake.requests.length;
  // An honest relay appears: bob copies from it, and never asks the liar again.
  cluster.writePeers('bob', [
    ['alice', cluster.port('alice')],
    ['bob', cluster.port('bob')],
    ['carol', cluster.port('carol')],
    ['liar', fake.port],
  ]);
  await waitFor('bob at 20 from carol', async () => {
    const info = (await logs(cluster.port('bob'))).get('alice');
    return info?.head === 20 && info.source === 'carol';
  });
  t.is(fake.requests.length, asked, 'the liar is not asked again');
  t.like((await logs(cluster.port('bob'))).get('alice'), { lag: 0, state: 'live' });
});

test("a relay answering `ERR gone` past a copy's head does not make it drop its records; only the owner's word does", async (t) => {
  const fake = await fakeSource({
    name: 'liar',
    logs: (s) => s.write('LOG alice replica 99999 100000 state=live\r\nEND\r\n'),
    replicate: (_start, socket) => socket.write('ERR gone 99999\r\n'),
  });
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(async () => {
    await fake.close();
    await cluster.stopAll();
  });
  await cluster.start('alice');
  await cluster.start('bob');
  await write(cluster.port('alice'), 'alice', 20, 'r');
  await waitFor('bob at 20', async () => (await logs(cluster.port('bob'))).get('alice')?.head === 20);
  const kept = await readAll(cluster.port('bob'), 'alice');
  await cluster.nodes.get('alice')!.stop();
  cluster.writePeers('bob', [
    ['alice', cluster.port('alice')],
    ['bob', cluster.port('bob')],
    ['liar', fake.port],
  ]);
  await waitFor('the relay to be asked', () => fake.requests.length >= 2);
  await waitFor('the refusal to be logged', () =>
    /replica alice: liar starts alice at id 99999, but liar is a relay: this copy keeps its records up to 20 until the owner says so/.test(
      cluster.nodes.get('bob')!.stderr(),
    ),
  );
  t.like((await logs(cluster.port('bob'))).get('alice'), { first: 1, head: 20 });
  t.deepEqual(await readAll(cluster.port('bob'), 'alice'), kept);
});
