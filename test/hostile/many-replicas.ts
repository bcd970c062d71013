// A participant that lists 20,000 logs (issue 11, point 4): a scripted TCP peer answers LOGS with
// 20,000 names of its namespace and REPLICATE with heartbeats. The follower, under
// `ulimit -n 256`, follows only as many as its limits allow (a quarter of the descriptor limit,
// or --max-logs per namespace), says so in one stderr line, and keeps serving its clients.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { freePort, logs, waitFor } from '../replication/_cluster.ts';

const LISTED = 20_000;
const FILE_LIMIT = 256;

/** The fake participant `bob`: HELLO says bob, LOGS lists LISTED logs, REPLICATE gets a heartbeat every second. */
class FakePeer {
  logsAsked = 0;
  readonly replicated = new Set<string>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listing: string;

  private constructor(private readonly server: Server) {
    let text = '';
    for (let i = 0; i < LISTED; i++) text += `LOG bob.l${i} owner 1 0\r\n`;
    this.listing = text + 'END\r\n';
  }

  static async start(): Promise<FakePeer> {
    const server = createServer();
    const peer = new FakePeer(server);
    server.on('connection', (socket) => peer.serve(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return peer;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      text += data;
      let lf: number;
      while ((lf = text.indexOf('\n')) >= 0) {
        const words = text.slice(0, lf).trim().split(' ');
        text = text.slice(lf + 1);
        if (words[0] === 'HELLO') {
          socket.write('HELLO bob\r\n');
        } else if (words[0] === 'LOGS') {
          this.logsAsked++;
          socket.write(this.listing);
        } else if (words[0] === 'REPLICATE') {
          this.replicated.add(words[1]!);
          socket.write('HB 0\r\n');
          const timer = setInterval(() => socket.write('HB 0\r\n'), 1000);
          this.timers.add(timer);
          socket.on('close', () => clearInterval(timer));
        }
      }
    });
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function follower(t: ExecutionContext, peer: FakePeer, args: string[]): Promise<RunningServer> {
  const root = mkdtempSync(join(tmpdir(), 'logd-replicas-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const port = await freePort();
  const peers = join(root, 'peers');
  writeFileSync(peers, `alice 127.0.0.1:${port}\nbob 127.0.0.1:${peer.port}\n`);
  const node = await startServer({
    id: 'alice',
    dir: join(root, 'data'),
    fileLimit: FILE_LIMIT,
    args: ['--listen', `127.0.0.1:${port}`, '--peers', peers, '--fsync', 'none', ...args],
  });
  t.teardown(() => node.stop());
  return node;
}

function notFollowedLines(node: RunningServer): string[] {
  return node
    .stderr()
    .split('\n')
    .filter((l) => l.includes('replication: not following'));
}

/** The follower still serves: writes, new connections, LOGS; returns the bob.* logs it holds. */
async function stillServes(t: ExecutionContext, node: RunningServer): Promise<string[]> {
  const wire = await Wire.open(node.port);
  t.teardown(() => wire.close());
  t.is(await wire.command('MSG alice.x hello'), 'OK 1');
  const more = await Promise.all(Array.from({ length: 40 }, () => Wire.open(node.port)));
  for (const w of more) t.is(await w.command('PING'), 'PONG');
  for (const w of more) w.close();
  t.log(`follower: ${readdirSync(`/proc/${node.proc.pid}/fd`).length} descriptors open (limit ${FILE_LIMIT})`);
  return [...(await logs(node.port)).keys()].filter((name) => name.startsWith('bob.'));
}

test(`a peer listing ${LISTED} logs: the follower under ulimit -n ${FILE_LIMIT} follows a quarter of its descriptor limit of them, says so once, and keeps serving`, async (t) => {
  const peer = await FakePeer.start();
  t.teardown(() => peer.stop());
  const node = await follower(t, peer, []);
  const limit = /at most (\d+) replica logs are followed at once/.exec(node.stderr());
  t.truthy(limit, node.stderr());
  const replicas = Number(limit![1]);
  await waitFor('the line about the logs not followed', () => notFollowedLines(node).length > 0);
  t.is(
    notFollowedLines(node)[0]?.replace(/^\S+ /, ''),
    `replication: not following ${LISTED - replicas} logs of bob: this node follows at most ${replicas} replica logs (a quarter of its file descriptor limit)`,
  );
  await waitFor('every followed log to ask bob', () => peer.replicated.size === replicas);
  // Three more polls of the same listing: no more lines.
  const asked = peer.logsAsked;
  await waitFor('three more LOGS polls', () => peer.logsAsked >= asked + 3);
  t.is(notFollowedLines(node).length, 1);
  const held = await stillServes(t, node);
  t.is(held.length, replicas);
  t.is(peer.replicated.size, replicas);
});

test(`a peer listing ${LISTED} logs past --max-logs: the follower creates that many replicas of its namespace, says so once, and keeps serving`, async (t) => {
  const peer = await FakePeer.start();
  t.teardown(() => peer.stop());
  const node = await follower(t, peer, ['--max-logs', '30']);
  await waitFor('the line about the logs not followed', () => notFollowedLines(node).length > 0);
  t.is(
    notFollowedLines(node)[0]?.replace(/^\S+ /, ''),
    `replication: not following ${LISTED - 30} logs of bob: namespace bob holds 30 logs here, the most --max-logs allows`,
  );
  const asked = peer.logsAsked;
  await waitFor('three more LOGS polls', () => peer.logsAsked >= asked + 3);
  t.is(notFollowedLines(node).length, 1);
  const held = await stillServes(t, node);
  t.is(held.length, 30);
  await waitFor('every replica to ask bob', () => peer.replicated.size === 30);
});
