// `make cluster`: three logd nodes on this machine sharing one participants file, each with a
// status page, to try replication and failover in a minute. Prints the addresses, data
// directories and status URLs; Ctrl-C (SIGINT) or SIGTERM stops the nodes gracefully.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parsePort, UsageError } from '../src/arguments.ts';

/** The node runs from the sources, through tsx like this tool: no build needed to try an edit. */
const LOGD = ['--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))];
const NAMES = ['alice', 'bob', 'carol'];

const HELP = `Usage: make cluster [ARGS="..."]   (or: node --import tsx tools/cluster.ts [options])

Starts three logd nodes (alice, bob, carol) on 127.0.0.1 that replicate each other's logs.

Options:
  --dir DIR        where the nodes keep their data: DIR/<name>, and DIR/participants (default: ./cluster)
  --port N         alice listens on N, bob on N+1, carol on N+2 (default: 1774; 0: free ports)
  --http-port N    their status pages, likewise (default: 8774; 0: free ports)
  --help           show this text
`;

interface ClusterNode {
  name: string;
  proc: ChildProcess;
  /** Where it listens and its status page, once it has said so. */
  listen: string;
  status: string;
  /** Resolves once both are known; rejects if the node exits first. */
  ready: Promise<void>;
  exited: Promise<number | null>;
}

function parse(): { dir: string; port: number; httpPort: number } | null {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: './cluster' },
      port: { type: 'string', default: '1774' },
      'http-port': { type: 'string', default: '8774' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const port = (text: string, flag: string) => {
    const n = parsePort(text, flag, 'listen');
    if (n > 65533) throw new UsageError(`${flag}: N+2 must be a port too: ${text}`);
    return n;
  };
  return { dir: values.dir!, port: port(values.port!, '--port'), httpPort: port(values['http-port']!, '--http-port') };
}

/** Starts one node; its stderr goes to ours, each line prefixed with its name. */
function startNode(name: string, dir: string, peers: string, port: number, httpPort: number): ClusterNode {
  const proc = spawn(
    process.execPath,
    [...LOGD, '--id', name, '--data', join(dir, name), '--listen', `127.0.0.1:${port}`, '--peers', peers, '--http', `127.0.0.1:${httpPort}`],
    { stdio: ['ignore', 'inherit', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const node: ClusterNode = { name, proc, listen: '', status: '', exited, ready: Promise.resolve() };
  node.ready = new Promise((resolve, reject) => {
    let partial = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        process.stderr.write(`${name.padEnd(5)} | ${line}\n`);
        node.status ||= /status page at (http:\/\/\S+)/.exec(line)?.[1] ?? '';
        node.listen ||= / listening on (\S+)/.exec(line)?.[1] ?? '';
        if (node.listen && node.status) resolve();
      }
    });
    void exited.then((code) => reject(new Error(`${name} exited with ${code ?? proc.signalCode} while starting`)));
  });
  return node;
}

async function main(): Promise<number> {
  const options = parse();
  if (!options) {
    process.stdout.write(HELP);
    return 0;
  }
  const { dir, port, httpPort } = options;
  mkdirSync(dir, { recursive: true });
  const peers = join(dir, 'participants');
  // Written for real once every node listens (ports may be picked by the system); until then
  // no stale address from an earlier run is followed.
  writeFileSync(peers, '# written by tools/cluster.ts once the nodes listen\n');
  const nodes: ClusterNode[] = [];
  let signals = 0;
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      if (++signals > 1) {
        process.stderr.write(`cluster: ${signal} again: killing the nodes\n`);
        for (const node of nodes) node.proc.kill('SIGKILL');
      }
      resolve();
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  });
  const stop = async (): Promise<void> => {
    stopping = true;
    for (const node of nodes) node.proc.kill('SIGTERM');
    await Promise.all(nodes.map((n) => n.exited));
  };
  try {
    for (const [i, name] of NAMES.entries()) {
      const node = startNode(name, dir, peers, port && port + i, httpPort && httpPort + i);
      nodes.push(node);
      if ((await Promise.race([node.ready, stopped.then(() => 'signal')])) === 'signal') break;
    }
  } catch (err) {
    process.stderr.write(`cluster: ${(err as Error).message}: stopping the others\n`);
    await stop();
    return 1;
  }
  if (signals > 0) {
    await stop();
    return 0;
  }
  writeFileSync(peers, nodes.map((n) => `${n.name} ${n.listen}\n`).join(''));
  // A node that exits (killed to try failover) leaves the others running.
  for (const node of nodes)
    void node.exited.then((code) => stopping || process.stderr.write(`cluster: ${node.name} exited (${code ?? node.proc.signalCode}); the others run on\n`));
  const [alice, bob] = nodes as [ClusterNode, ClusterNode, ClusterNode]; // no signal: every node started
  const rel = relative(process.cwd(), dir);
  const shown = rel.startsWith('..') ? dir : rel || '.';
  process.stdout.write(
    `\nlogd cluster: 3 nodes, participants file ${join(shown, 'participants')}\n` +
      nodes
        .map(
          (n) => `  ${n.name.padEnd(6)} ${n.listen.padEnd(16)} pid ${String(n.proc.pid).padEnd(8)} data ${join(shown, n.name).padEnd(16)} status ${n.status}\n`,
        )
        .join('') +
      `\nTry it:\n` +
      `  nc ${alice.listen.replace(':', ' ')}  then MSG alice hello: alice writes the log "alice"\n` +
      `  nc ${bob.listen.replace(':', ' ')}  then LOGS: bob holds a copy of "alice" within a second\n` +
      `  failover: kill ${alice.proc.pid} (alice); on bob ACCEPT alice; then in ${join(shown, 'participants')}\n` +
      `            point alice at ${bob.listen}: bob writes "alice" now, carol follows it from bob\n` +
      `Ctrl-C stops the cluster (twice: kills it); the data stays in ${shown}.\n\n`,
  );
  await stopped;
  process.stderr.write('cluster: stopping the nodes\n');
  await stop();
  process.stderr.write('cluster: stopped\n');
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  process.stderr.write(`cluster: ${(err as Error).message}\n\n${HELP}`);
  process.exitCode = 2;
}
