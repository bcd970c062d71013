// Ten nodes on one machine, each writing its own log concurrently, while two of them are killed
// (SIGKILL) and restarted and one link is cut and restored: at the end every copy of every log
// is byte-identical to its writer's. Record counts stay modest (the machine has 2 cores).
import test from 'ava';
import { Cluster, TcpProxy, logs, readAll, waitFor, write } from './_cluster.ts';

const NAMES = Array.from({ length: 10 }, (_, i) => `n${i}`);
const PER_ROUND = 100;

test("ten nodes writing concurrently, two killed and restarted, one link cut: every copy equals its writer's", async (t) => {
  const cluster = await Cluster.create(NAMES);
  // n9 reaches n0 only through a proxy: the link that is cut.
  const proxy = await TcpProxy.start(cluster.port('n0'));
  t.teardown(async () => {
    await proxy.close();
    await cluster.stopAll();
  });
  cluster.writePeers(
    'n9',
    NAMES.map((n) => [n, n === 'n0' ? proxy.port : cluster.port(n)]),
  );
  await Promise.all(NAMES.map((n) => cluster.start(n)));
  const writeRound = (names: string[], round: number) => Promise.all(names.map((n) => write(cluster.port(n), n, PER_ROUND, `${n}-r${round}-`)));

  await writeRound(NAMES, 1);
  // Chaos while the others write: two nodes die, one link goes down; then they come back.
  const killed = ['n3', 'n7'];
  const alive = NAMES.filter((n) => !killed.includes(n));
  await Promise.all([writeRound(alive, 2), ...killed.map((n) => cluster.nodes.get(n)!.kill()), proxy.down()]);
  await Promise.all([writeRound(alive, 3), ...killed.map((n) => cluster.start(n))]);
  await Promise.all([writeRound(NAMES, 4), proxy.up()]);

  const heads = new Map(NAMES.map((n) => [n, (killed.includes(n) ? 2 : 4) * PER_ROUND]));
  await waitFor(
    'every node to hold every log to its head',
    async () => {
      for (const node of NAMES) {
        const held = await logs(cluster.port(node));
        for (const [log, head] of heads) if (held.get(log)?.head !== head) return false;
      }
      return true;
    },
    45_000,
  );
  for (const [log, head] of heads) {
    const original = await readAll(cluster.port(log), log);
    t.is(original.toString('latin1').match(/^REC /gm)?.length, head);
    for (const node of NAMES) if (node !== log) t.true((await readAll(cluster.port(node), log)).equals(original), `${log} on ${node}`);
  }
  t.regex(cluster.nodes.get('n9')!.stderr(), /peer n0 down at/);
});
