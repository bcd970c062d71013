import test from 'ava';
import { Cluster, logs, readAll, stats, waitFor, write } from './_cluster.ts';

test('a node killed with SIGKILL while the others write catches up on restart, without re-downloading', async (t) => {
  const names = ['alice', 'bob', 'carol'];
  const cluster = await Cluster.create(names);
  t.teardown(() => cluster.stopAll());
  await Promise.all(names.map((n) => cluster.start(n)));

  // No replica may ever hold a record its owner does not: checked all along (replica read first,
  // then the owner, which only grows).
  let checking = true;
  let checks = 0;
  const violations: string[] = [];
  const checker = (async () => {
    while (checking) {
      for (const n of names) {
        for (const owner of names.filter((o) => o !== n && cluster.nodes.get(o)!.proc.exitCode === null)) {
          if (cluster.nodes.get(n)!.proc.signalCode) continue;
          try {
            const copy = await readAll(cluster.port(n), owner);
            const original = await readAll(cluster.port(owner), owner);
            if (!original.subarray(0, copy.length).equals(copy)) violations.push(`${owner} on ${n}`);
            checks++;
          } catch {
            // A node being killed or restarting.
          }
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();

  let writing = true;
  const writer = async (n: string) => {
    for (let round = 0; writing; round++) await write(cluster.port(n), n, 200, `${n}-${round}-`);
  };
  const writers = [writer('alice'), writer('carol')];
  await write(cluster.port('bob'), 'bob', 500, 'bob-');
  await waitFor('bob to be copying', async () => ((await logs(cluster.port('bob'))).get('alice')?.head ?? 0) > 0);
  await cluster.nodes.get('bob')!.kill();
  // Bob must have records to catch up on: alice and carol write on while it is down.
  const ownHead = async (n: string) => (await logs(cluster.port(n))).get(n)?.head ?? 0;
  const atKill = [await ownHead('alice'), await ownHead('carol')];
  await waitFor('alice and carol to write while bob is down', async () => (await ownHead('alice')) > atKill[0]! && (await ownHead('carol')) > atKill[1]!);

  // Restart bob without peers first, to see what it kept; then give it the participants back.
  const full: [string, number][] = names.map((n) => [n, cluster.port(n)]);
  cluster.writePeers('bob', [['bob', cluster.port('bob')]]);
  await cluster.start('bob');
  const kept = await logs(cluster.port('bob'));
  t.is(kept.get('bob')!.head, 500);
  cluster.writePeers('bob', full);
  // The writers go on until bob copies again, so that it catches up while records still arrive.
  const keptAlice = kept.get('alice')?.head ?? 0;
  await waitFor('bob to copy alice again', async () => ((await logs(cluster.port('bob'))).get('alice')?.head ?? 0) > keptAlice);
  writing = false;
  await Promise.all(writers);

  const heads = new Map<string, number>();
  for (const n of names) heads.set(n, (await logs(cluster.port(n))).get(n)!.head);
  await waitFor('every node to hold every log in full', async () => {
    for (const n of names) {
      const held = await logs(cluster.port(n));
      for (const log of names) if (held.get(log)?.head !== heads.get(log)) return false;
    }
    return true;
  });
  checking = false;
  await checker;
  t.deepEqual(violations, []);
  t.true(checks > 10);
  for (const log of names) {
    const original = await readAll(cluster.port(log), log);
    for (const n of names) t.true((await readAll(cluster.port(n), log)).equals(original), `${log} on ${n}`);
  }
  // The restarted node asked only for what it lacked.
  const missing = heads.get('alice')! - (kept.get('alice')?.head ?? 0) + (heads.get('carol')! - (kept.get('carol')?.head ?? 0));
  t.is((await stats(cluster.port('bob'))).get('repl_records_in'), missing);
  t.true((kept.get('alice')?.head ?? 0) > 0);
});
