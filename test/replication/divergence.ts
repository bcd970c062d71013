import test from 'ava';
import { cpSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crcHex, payloadCrc } from '../../protocol/frame.ts';
import { Wire } from '../_wire.ts';
import { Cluster, logs, readAll, talk, waitFor, write } from './_cluster.ts';

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
  t.regex(cluster.nodes.get('carol')!.stderr(), /ERR diverged record 80 of alice is \d+ \d+ [0-9a-f]{8} here and \d+ \d+ [0-9a-f]{8} on the follower/);
  await write(cluster.port('alice'), 'alice', 5, 'more ');
  // A barrier: bob copies a log alice created after those records (so bob heard alice since),
  // and still holds 80 of alice: nothing of the new history is mixed in.
  await write(cluster.port('alice'), 'alice.after', 1, 'later ');
  await waitFor('bob to copy alice.after', async () => (await logs(cluster.port('bob'))).get('alice.after')?.head === 1);
  t.like(await aliceOn('bob'), { head: 80, state: 'diverged' });
});

test('an owner restored from an older copy rewrites a record with the same payload: the replica diverges, stays so across its restart, and is never a relay', async (t) => {
  const names = ['alice', 'bob', 'carol'];
  const cluster = await Cluster.create(names);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice');
  await cluster.start('bob');
  const aliceOn = async (n: string) => (await logs(cluster.port(n))).get('alice');

  // Heartbeat-like records: every payload is the same, so CRCs alone cannot tell histories apart.
  await write(cluster.port('alice'), 'alice', 9, 'ok');
  await waitFor('bob at 9', async () => (await aliceOn('bob'))?.head === 9);
  await cluster.nodes.get('alice')!.stop();
  const old = cluster.dataDir('alice') + '.old';
  cpSync(cluster.dataDir('alice'), old, { recursive: true });
  await cluster.start('alice');
  await write(cluster.port('alice'), 'alice', 1, 'ok');
  await waitFor('bob at 10', async () => (await aliceOn('bob'))?.head === 10);
  const bobHistory = await readAll(cluster.port('bob'), 'alice');

  // bob is away while alice goes back to the copy at 9 and writes record 10 again, same payload.
  await cluster.nodes.get('bob')!.stop();
  await cluster.nodes.get('alice')!.stop();
  rmSync(cluster.dataDir('alice'), { recursive: true });
  renameSync(old, cluster.dataDir('alice'));
  await cluster.start('alice');
  await write(cluster.port('alice'), 'alice', 1, 'ok');
  await write(cluster.port('alice'), 'alice', 5, 'ok');
  const aliceHistory = await readAll(cluster.port('alice'), 'alice');
  t.notDeepEqual(aliceHistory.subarray(0, bobHistory.length), bobHistory, 'record 10 differs (its timestamp), not its payload');

  for (let run = 1; run <= 2; run++) {
    const bob = await cluster.start('bob');
    await waitFor(`bob to report diverged (run ${run})`, async () => (await aliceOn('bob'))?.state === 'diverged');
    t.like(await aliceOn('bob'), { head: 10, state: 'diverged' });
    t.deepEqual(await readAll(cluster.port('bob'), 'alice'), bobHistory, 'nothing of the new history is appended');
    t.regex(bob.stderr(), /ERR diverged record 10 of alice is \d+ 3 [0-9a-f]{8} here and \d+ 3 [0-9a-f]{8} on the follower/);
    // After the restart it knows at once, from its mark, before any source is asked.
    if (run === 2) t.regex(bob.stderr(), /replica alice diverged from alice: ERR diverged .* \(recorded before this start in \.diverged\)/);
    // (acks are durable: alice's restored copy remembers bob's 9, the prefix both share)
    t.true(
      Number((await logs(cluster.port('alice'))).get('alice')!['ack.bob'] ?? 0) <= 9,
      'the owner records no ACK of the new history from a diverged replica',
    );
    if (run === 1) await bob.stop();
  }

  // With the owner down, carol (empty) may copy from a relay, but never from bob's abandoned history.
  await cluster.nodes.get('alice')!.stop();
  const carol = await cluster.start('carol');
  await waitFor('carol to know the log', async () => (await aliceOn('carol')) !== undefined);
  await waitFor('carol to look for a source', async () => (await aliceOn('carol'))?.state === 'down');
  t.is(
    (await talk(cluster.port('bob'), 'REPLICATE alice 1\n')).toString('latin1'),
    "ERR nolog alice: this node's copy diverged from its source and is not served to followers\r\nOK\r\n",
  );
  t.like(await aliceOn('carol'), { head: 0, source: 'alice' });
  await cluster.start('alice');
  await waitFor('carol at 15 from alice', async () => (await aliceOn('carol'))?.head === 15);
  t.deepEqual(await readAll(cluster.port('carol'), 'alice'), aliceHistory);
  t.notRegex(carol.stderr(), /diverged/);

  // The operator moves bob's copy away: the mark goes with it, bob copies alice's history.
  await cluster.nodes.get('bob')!.stop();
  rmSync(join(cluster.dataDir('bob'), 'alice'), { recursive: true });
  const bob = await cluster.start('bob');
  await waitFor('bob at 15', async () => (await aliceOn('bob'))?.head === 15);
  t.deepEqual(await readAll(cluster.port('bob'), 'alice'), aliceHistory);
  t.like(await aliceOn('bob'), { state: 'live' });
  t.regex(bob.stderr(), /replica alice: this copy is no longer the one that diverged/);
});

test('copies that differ inside the prefix, not at the resume record: the prefix digest tells', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice');
  await cluster.start('bob');
  const aliceOn = async (n: string) => (await logs(cluster.port(n))).get('alice');
  await write(cluster.port('alice'), 'alice', 10, 'p');
  await waitFor('bob at 10', async () => (await aliceOn('bob'))?.head === 10);
  await cluster.nodes.get('bob')!.stop();

  // bob's record 5 becomes another valid record (payload and CRC), record 10 stays as it was.
  const dir = join(cluster.dataDir('bob'), 'alice');
  const chunk = join(dir, readdirSync(dir).find((f) => f.endsWith('.chunk'))!);
  const bytes = readFileSync(chunk, 'latin1');
  const old = /REC 5 (\d+) 2 ([0-9a-f]{8})\r\np4\r\n/.exec(bytes)!;
  writeFileSync(chunk, bytes.replace(old[0], `REC 5 ${old[1]} 2 ${crcHex(payloadCrc(Buffer.from('q4')))}\r\nq4\r\n`), 'latin1');
  const bobHistory = readFileSync(chunk);

  await write(cluster.port('alice'), 'alice', 5, 'more');
  const bob = await cluster.start('bob');
  await waitFor('bob to report diverged', async () => (await aliceOn('bob'))?.state === 'diverged');
  t.like(await aliceOn('bob'), { head: 10 });
  t.regex(bob.stderr(), /ERR diverged records 1\.\.10 of alice differ: prefix digest [0-9a-f]{8} here and [0-9a-f]{8} on the follower/);
  t.deepEqual(readFileSync(chunk), bobHistory, 'nothing appended');
});

test('a copy that joins a trimmed log is told the prefix digest before its first record, and passes it on', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice', { args: ['--chunk-bytes', '2048'] });
  for (let k = 0; k < 5; k++) await write(cluster.port('alice'), 'alice', 20, `r${k}-`);
  const first = Number((await talk(cluster.port('alice'), 'TRIM alice 60\n')).toString('latin1').split(/[ \r]/)[1]);
  t.true(first > 1);
  await cluster.start('bob');
  await waitFor('bob to copy from the first retained id', async () => {
    const info = (await logs(cluster.port('bob'))).get('alice');
    return info?.first === first && info.head === 100;
  });
  const digestLine = async (port: number) => {
    const wire = await Wire.open(port);
    wire.send(`REPLICATE alice ${first}\n`);
    t.regex(await wire.line(), /^HB \d+$/);
    const line = await wire.line();
    wire.close();
    return line;
  };
  const owners = await digestLine(cluster.port('alice'));
  t.regex(owners ?? '', new RegExp(`^DIGEST ${first - 1} [0-9a-f]{8}$`));
  t.is(await digestLine(cluster.port('bob')), owners, "bob knows alice's prefix digest although it never held those records");
  // And bob's sessions send it: a restart resumes with the stamp and the digest, and alice accepts them.
  await cluster.nodes.get('bob')!.stop();
  await write(cluster.port('alice'), 'alice', 5, 'more-');
  await cluster.start('bob');
  await waitFor('bob at 105', async () => (await logs(cluster.port('bob'))).get('alice')?.head === 105);
  t.notRegex(cluster.nodes.get('bob')!.stderr(), /diverged/);
});
