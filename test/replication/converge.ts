import test from 'ava';
import { Cluster, logs, readAll, stats, talk, waitFor, write } from './_cluster.ts';

test('three nodes writing their own logs concurrently converge to byte-identical copies', async (t) => {
  const names = ['alice', 'bob', 'carol'];
  const cluster = await Cluster.create(names);
  t.teardown(() => cluster.stopAll());
  await Promise.all(names.map((n) => cluster.start(n)));

  // Each writes its main log and a second log of its namespace, concurrently, while replication runs.
  await Promise.all(names.flatMap((n) => [write(cluster.port(n), n, 3000, `${n}-`), write(cluster.port(n), `${n}.status`, 50, 'ok ')]));
  const logNames = names.flatMap((n) => [n, `${n}.status`]);
  const expected = new Map<string, Buffer>();
  for (const n of names) for (const log of [n, `${n}.status`]) expected.set(log, await readAll(cluster.port(n), log));

  await waitFor('every replica to hold every record', async () => {
    for (const n of names) {
      const held = await logs(cluster.port(n));
      for (const log of logNames) if (held.get(log)?.head !== (log.includes('.') ? 50 : 3000)) return false;
    }
    return true;
  });
  for (const n of names) {
    for (const log of logNames) t.deepEqual(await readAll(cluster.port(n), log), expected.get(log), `${log} on ${n}`);
    const held = await logs(cluster.port(n));
    for (const log of logNames) {
      const info = held.get(log)!;
      if (log.startsWith(n)) {
        t.is(info.role, 'owner');
        for (const other of names.filter((o) => o !== n)) t.is(info[`ack.${other}`], info.head, `${other}'s ack of ${log}`);
      } else {
        t.like(info, { role: 'replica', source: log.split('.')[0], state: 'live', lag: 0 });
      }
    }
    const s = await stats(cluster.port(n));
    t.is(s.get('repl_records_in'), 2 * 3050);
    t.is(s.get('repl_lag'), 0);
  }
  // A replica takes no writes.
  t.regex((await talk(cluster.port('bob'), 'MSG alice hi\n')).toString(), /^ERR readonly alice is owned by alice\r\n/);
  for (const n of names) t.regex(cluster.nodes.get(n)!.stderr(), new RegExp(`peer ${names.find((o) => o !== n)} up at`));
});
