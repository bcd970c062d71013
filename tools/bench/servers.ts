// Starts each benchmarked server (logd, Redis, NATS) on a free loopback port with a temp data
// directory, at a matched durability, and stops it after.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type System = 'logd' | 'redis' | 'nats';
export const SYSTEMS: readonly System[] = ['logd', 'redis', 'nats'];

/** `always`: every acknowledged write is on disk. `interval`: synced about once a second. */
export type Durability = 'always' | 'interval';

export interface BenchServer {
  system: System;
  host: string;
  port: number;
  pid: number;
  dir: string;
  /** SIGTERM, wait for the exit; removes the data directory unless it was given. */
  stop(): Promise<void>;
  /** SIGTERM, wait for the exit; keeps the data directory. */
  halt(): Promise<void>;
  /** SIGKILL, wait for the exit; keeps the data directory. */
  kill(): Promise<void>;
  /** What the process printed so far (stdout and stderr). */
  output(): string;
}

export const HOST = '127.0.0.1';
const LOGD_BIN = fileURLToPath(new URL('../../bin/logd.js', import.meta.url));
const CEILING_SERVER = fileURLToPath(new URL('./ceiling-server.ts', import.meta.url));
export const LOGD_LOG = 'bench';

/** How each server's durability is set, for the table's notes. */
export const DURABILITY_FLAGS: Record<Durability, Record<System, string | null>> = {
  always: { logd: '--fsync always', redis: 'appendonly yes, appendfsync always', nats: null },
  interval: {
    logd: '--fsync interval:1000',
    redis: 'appendonly yes, appendfsync everysec',
    nats: "JetStream file storage, which syncs every 2 minutes (the file store's built-in interval; 2.9 has no setting for it), so NATS syncs 120x less often than logd and Redis in these rows",
  },
};

export async function startServer(system: System, durability: Durability): Promise<BenchServer> {
  if (system === 'logd') return startLogd(durability === 'always' ? 'always' : 'interval:1000');
  return system === 'redis' ? startRedis(durability) : startNats();
}

/** Extra Node flags for every logd started from now on (e.g. --cpu-prof for profiling). */
let logdNodeFlags: string[] = [];

export function setLogdNodeFlags(flags: string[]): void {
  logdNodeFlags = flags;
}

/** logd on port 0 in `dir` (a fresh temp directory when absent, removed by stop()). */
export async function startLogd(fsync: string, dir?: string, extraArgs: string[] = []): Promise<BenchServer> {
  const dataDir = dir ?? tempDir('logd');
  const args = [...logdNodeFlags, LOGD_BIN, '--id', LOGD_LOG, '--data', dataDir, '--listen', `${HOST}:0`, '--fsync', fsync, ...extraArgs];
  return launch('logd', process.execPath, args, /listening on [^\s:]+:(\d+)/, dataDir, dir === undefined);
}

/** The bare line server of the ceiling row (ceiling-server.ts), on port 0. */
export function startCeiling(): Promise<BenchServer> {
  return launch('logd', process.execPath, ['--import', 'tsx', CEILING_SERVER, '--listen', `${HOST}:0`], /listening on [^\s:]+:(\d+)/, tempDir('ceiling'), true);
}

async function startRedis(durability: Durability): Promise<BenchServer> {
  const dir = tempDir('redis');
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'yes',
    '--appendfsync',
    durability === 'always' ? 'always' : 'everysec',
    '--protected-mode',
    'no',
    '--daemonize',
    'no',
  ];
  return launch('redis', 'redis-server', args, /Ready to accept connections/, dir, true, port);
}

async function startNats(): Promise<BenchServer> {
  const dir = tempDir('nats');
  const port = await freePort();
  const config = join(dir, 'nats.conf');
  // ping_interval: the benchmark clients answer no PINGs, so keep the server from sending any.
  writeFileSync(config, `listen: "${HOST}:${port}"\nping_interval: "10m"\njetstream {\n  store_dir: "${join(dir, 'js')}"\n}\n`);
  return launch('nats', 'nats-server', ['-c', config], /Server is ready/, dir, true, port);
}

function launch(system: System, cmd: string, args: string[], ready: RegExp, dir: string, ownDir: boolean, port?: number): Promise<BenchServer> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const onData = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 1 << 20) out = out.slice(-(1 << 19));
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${system} did not start in 30 s:\n${out}`)), 30_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(err);
    };
    proc.on('error', fail);
    void exited.then(() => fail(new Error(`${system} exited before it was ready:\n${out}`)));
    const check = (): void => {
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout.off('data', check);
      proc.stderr.off('data', check);
      const alive = (): boolean => proc.exitCode === null && proc.signalCode === null;
      const halt = async (): Promise<void> => {
        if (alive()) proc.kill('SIGTERM');
        await exited;
      };
      resolve({
        system,
        host: HOST,
        port: port ?? Number(m[1]),
        pid: proc.pid!,
        dir,
        output: () => out,
        async stop() {
          await halt();
          if (ownDir) rmSync(dir, { recursive: true, force: true });
        },
        halt,
        async kill() {
          if (alive()) proc.kill('SIGKILL');
          await exited;
        },
      });
    };
    proc.stdout.on('data', check);
    proc.stderr.on('data', check);
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `bench-${prefix}-`));
}

/** A loopback port that was free a moment ago (for servers that cannot listen on port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
