// Crash loop of three replicating nodes: each takes pipelined appends to its own log (--fsync
// always) while a random node is killed with SIGKILL at a random moment and restarted. After each
// restart the killed node holds every batch it acknowledged; at the end all three converge to
// byte-identical copies of every log, holding every acknowledged batch whole.
import test from 'ava';
import { Cluster, waitFor } from '../replication/_cluster.ts';
import { AppendDriver, checkRecords, type Acked } from './_driver.ts';
import { readLog, recordsOf } from './_read-log.ts';
import { scale } from './_soak.ts';

const CYCLES = scale(4, 20);
const NAMES = ['alice', 'bob', 'carol'];
const SPEC = { args: ['--fsync', 'always', '--chunk-bytes', '256K'] };

test(`three replicating nodes, ${CYCLES} random SIGKILLs: all converge byte-identical with every acknowledged record`, async (t) => {
  t.timeout(scale(120_000, 900_000));
  const cluster = await Cluster.create(NAMES);
  t.teardown(() => cluster.stopAll());
  await Promise.all(NAMES.map((n) => cluster.start(n, SPEC)));
  const acked = new Map<string, Acked>(NAMES.map((n) => [n, new Map()]));
  const drivers = NAMES.map((n) => new AppendDriver({ port: cluster.port(n), log: n, generation: 'g', reconnect: true, connections: 2 }, acked.get(n)!));
  t.teardown(() => {
    for (const d of drivers) d.drop();
  });

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
    const victim = NAMES[Math.floor(Math.random() * NAMES.length)]!;
    await cluster.nodes.get(victim)!.kill();
    await new Promise((r) => setTimeout(r, Math.random() * 500));
    await cluster.start(victim, SPEC);
    const ackedSoFar = new Map(acked.get(victim)!); // before the read: the driver is writing again
    const { frames, first } = await readLog(cluster.port(victim), victim);
    const problems = checkRecords(recordsOf(frames), first, ackedSoFar);
    if (problems.length > 0) return t.fail(`${victim} after kill ${cycle + 1}: ${problems.join('; ')}`);
  }
  await Promise.all(drivers.map((d) => d.stop()));

  let records = 0;
  for (const log of NAMES) {
    const owner = await readLog(cluster.port(log), log);
    t.deepEqual(checkRecords(recordsOf(owner.frames), owner.first, acked.get(log)!), [], `${log} on its owner`);
    for (const node of NAMES.filter((n) => n !== log)) {
      await waitFor(`${node} to catch up with ${log}`, async () => (await readLog(cluster.port(node), log)).head === owner.head, 60_000);
      t.true((await readLog(cluster.port(node), log)).frames.equals(owner.frames), `${log} on ${node} is byte-identical to its owner's`);
    }
    records += owner.head;
  }
  const batches = NAMES.reduce((n, name) => n + acked.get(name)!.size, 0);
  t.log(`${CYCLES} kills: ${batches} acknowledged batches, ${records} records, identical on all three nodes`);
});
