// make bench-replication, the cluster part: N nodes on this machine (every node holds every
// log), each writing `records` 100-byte records to its own log at once. Measured: the time from
// the first write until every node holds every log to its head (converged), and what each writer
// sent on REPLICATE streams per follower, against its own log's size: the cost model says a
// writer sends each record N-1 times (once per follower), less when followers copy from a relay.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ask } from './ask.ts';
import { loadLogd } from './load.ts';
import { freePort, HOST, startLogd, tempDir, type BenchServer } from './servers.ts';

const RECORD_BYTES = 100;

/** `LOG <name> <role> <first> <head> ...` lines of LOGS -> name -> head. */
function parseHeads(text: string): Map<string, number> | undefined {
  if (!text.endsWith('END\r\n')) return undefined;
  const heads = new Map<string, number>();
  for (const line of text.split('\r\n')) {
    const w = line.split(' ');
    if (w[0] === 'LOG' && w.length >= 5) heads.set(w[1]!, Number(w[4]));
  }
  return heads;
}

function parseStats(text: string): Map<string, number> | undefined {
  if (!text.endsWith('END\r\n')) return undefined;
  const stats = new Map<string, number>();
  for (const line of text.split('\r\n')) {
    const w = line.split(' ');
    if (w[0] === 'STAT' && w.length === 3) stats.set(w[1]!, Number(w[2]));
  }
  return stats;
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

export async function clusterConvergence(nodes: number, records: number, fsync: string): Promise<string[]> {
  const names = Array.from({ length: nodes }, (_, i) => `n${i}`);
  const root = tempDir('cluster');
  const ports = await Promise.all(names.map(() => freePort()));
  const peers = join(root, 'peers');
  writeFileSync(peers, names.map((n, i) => `${n} ${HOST}:${ports[i]}\n`).join(''));
  const servers: BenchServer[] = [];
  try {
    for (const [i, name] of names.entries()) {
      servers.push(await startLogd(fsync, undefined, ['--id', name, '--listen', `${HOST}:${ports[i]}`, '--peers', peers]));
    }
    const started = performance.now();
    await Promise.all(
      servers.map((s, i) => loadLogd({ host: s.host, port: s.port, log: names[i]!, records, batch: 1000, size: RECORD_BYTES, depth: 8, connections: 1 })),
    );
    const written = (performance.now() - started) / 1000;
    const deadline = Date.now() + 900_000;
    for (const s of servers) {
      for (;;) {
        const heads = await ask(s.host, s.port, 'LOGS\n', parseHeads);
        if (names.every((n) => heads.get(n) === records)) break;
        if (Date.now() > deadline) throw new Error(`no convergence in 900 s: ${[...heads].join(' ')}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const converged = (performance.now() - started) / 1000;
    const stored = nodes * nodes * records;
    const lines = [
      `cluster of ${nodes} nodes, each writing ${records.toLocaleString('en')} x ${RECORD_BYTES} B to its own log at once, fsync ${fsync}: ` +
        `writes done in ${written.toFixed(1)} s, every node holds every log after ${converged.toFixed(1)} s ` +
        `(${Math.round(stored / converged).toLocaleString('en')} records/s stored across the cluster, ` +
        `${Math.round(stored / nodes / converged).toLocaleString('en')} per node)`,
    ];
    const stats = await Promise.all(servers.map((s) => ask(s.host, s.port, 'STATS\n', parseStats)));
    // Every log has the same size: one log's bytes = what a node received for the N-1 others / (N-1).
    const logBytes = stats.reduce((sum, s) => sum + (s.get('repl_bytes_in') ?? 0), 0) / nodes / (nodes - 1);
    // repl_bytes_out counts every log a node served: its own, and others' when it relayed them.
    const egress = stats.map((s, i) => {
      const perFollower = (s.get('repl_bytes_out') ?? 0) / (nodes - 1);
      return `${names[i]} ${mb(perFollower)} MB (${(perFollower / logBytes).toFixed(2)}x)`;
    });
    lines.push(`  each writer's egress per follower (repl_bytes_out / ${nodes - 1}; one log is ${mb(logBytes)} MB): ${egress.join(', ')}`);
    return lines;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
