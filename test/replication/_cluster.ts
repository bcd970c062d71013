// Test helpers for replication: a cluster of real logd processes with a participants file each,
// a raw command helper, LOGS parsing, polling, and a TCP proxy that can cut a link.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLogLine } from '../../protocol/replies.ts';
import { startServer, type RunningServer } from '../_server.ts';

/** A free port: bind port 0, note the number, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface NodeSpec {
  /** Extra flags for this node. */
  args?: string[];
}

/** Nodes on pre-picked ports; each has its own data dir and its own participants file. */
export class Cluster {
  readonly root = mkdtempSync(join(tmpdir(), 'logd-repl-'));
  readonly ports = new Map<string, number>();
  readonly nodes = new Map<string, RunningServer>();
  private readonly specs = new Map<string, NodeSpec>();

  static async create(names: string[]): Promise<Cluster> {
    const cluster = new Cluster();
    for (const name of names) cluster.ports.set(name, await freePort());
    for (const name of names)
      cluster.writePeers(
        name,
        names.map((n) => [n, cluster.ports.get(n)!]),
      );
    return cluster;
  }

  peersFile(name: string): string {
    return join(this.root, `${name}.peers`);
  }

  dataDir(name: string): string {
    return join(this.root, name);
  }

  /** Rewrites one node's participants file (it is re-read within about a second). */
  writePeers(name: string, entries: [string, number][]): void {
    writeFileSync(this.peersFile(name), entries.map(([n, port]) => `${n} 127.0.0.1:${port}\n`).join(''));
  }

  async start(name: string, spec: NodeSpec = this.specs.get(name) ?? {}): Promise<RunningServer> {
    this.specs.set(name, spec);
    const port = this.ports.get(name)!;
    const node = await startServer({
      id: name,
      dir: this.dataDir(name),
      args: ['--listen', `127.0.0.1:${port}`, '--peers', this.peersFile(name), '--fsync', 'none', ...(spec.args ?? [])],
    });
    this.nodes.set(name, node);
    return node;
  }

  port(name: string): number {
    return this.ports.get(name)!;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.kill()));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Sends `text` (commands, LF-terminated), then CLOSE; resolves with every byte of the replies. */
export function talk(port: number, text: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(text + 'CLOSE\n'));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** The log's records as READ sends them, from 1 to the current head: the bytes to compare. */
export async function readAll(port: number, log: string): Promise<Buffer> {
  const reply = await talk(port, `READ ${log} 1 0 NOWAIT\n`);
  return reply.subarray(0, reply.lastIndexOf('END '));
}

export interface LogInfo {
  role: string;
  first: number;
  head: number;
  [key: string]: string | number;
}

export async function logs(port: number): Promise<Map<string, LogInfo>> {
  const out = new Map<string, LogInfo>();
  for (const line of (await talk(port, 'LOGS\n')).toString('latin1').split('\r\n')) {
    if (!line.startsWith('LOG ')) continue;
    const { name, role, first, head, extras } = parseLogLine(line);
    const info: LogInfo = { role, first: Number(first), head: Number(head) };
    for (const [k, v] of Object.entries(extras)) info[k] = /^\d+$/.test(v) ? Number(v) : v;
    out.set(name, info);
  }
  return out;
}

export async function stats(port: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await talk(port, 'STATS\n')).toString('latin1').split('\r\n')) {
    const [word, name, value] = line.split(' ');
    if (word === 'STAT' && name !== undefined) out.set(name, Number(value));
  }
  return out;
}

/** Polls `check` every 100 ms until it returns true; fails with `what` after timeoutMs. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      if (await check()) return;
      last = null;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Writes n records `<prefix><i>` to a log in APPEND batches of up to 100; resolves once all are acknowledged. */
export async function write(port: number, log: string, n: number, prefix: string): Promise<void> {
  let text = '';
  for (let i = 0; i < n; i += 100) {
    const batch: Buffer[] = [];
    for (let j = i; j < Math.min(n, i + 100); j++) batch.push(Buffer.from(`${prefix}${j}`));
    text += `APPEND ${log} ${batch.map((b) => b.length).join(' ')}\n` + batch.map((b) => b.toString() + '\n').join('');
  }
  const reply = (await talk(port, text)).toString('latin1');
  if (reply.includes('ERR')) throw new Error(`write to ${log} failed: ${reply.slice(reply.indexOf('ERR'), reply.indexOf('ERR') + 200)}`);
}

/** A TCP proxy to a port that can stop forwarding, drop every connection, and come back. */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly clients = new Set<Socket>();
  private forwarding = true;

  private constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  static async start(target: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), target);
    await proxy.listen();
    return proxy;
  }

  private listen(): Promise<void> {
    this.forwarding = true;
    const server = (this.server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      this.clients.add(client);
      client.on('close', () => this.clients.delete(client));
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (d: Buffer) => this.forwarding && upstream.write(d));
      upstream.on('data', (d: Buffer) => this.forwarding && client.write(d));
    }));
    return new Promise((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
  }

  /**
   * The most bytes the proxy holds for one client: it forwards without backpressure, so these
   * pile up only while that client does not read.
   */
  backlog(): number {
    let most = 0;
    for (const c of this.clients) most = Math.max(most, c.writableLength);
    return most;
  }

  /** The link goes silent: bytes are swallowed, connections stay open. */
  stopForwarding(): void {
    this.forwarding = false;
  }

  /** Drops every connection and refuses new ones. */
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** Accepts and forwards again. */
  up(): Promise<void> {
    return this.listen();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server?.listening) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
