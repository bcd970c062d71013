// Test helper: starts a real logd process on port 0 in a temp directory and stops it after.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOGD } from './_commands.ts';

export interface ServerOptions {
  /** Node id (default 'test'). */
  id?: string;
  /** Data directory; a fresh temp directory when absent (removed by stop()). */
  dir?: string;
  /** Extra command-line flags, e.g. ['--fsync', 'none']. */
  args?: string[];
  /** Flags for node itself, before the script (e.g. ['--import', probe]). */
  nodeArgs?: string[];
  /** Start under `ulimit -n <fileLimit>` (through sh, which then execs node). */
  fileLimit?: number;
}

export interface RunningServer {
  id: string;
  host: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM and wait; removes the temp directory if this helper created it. */
  stop(): Promise<void>;
  /** SIGKILL and wait; keeps the directory. */
  kill(): Promise<void>;
}

/** Starts logd and resolves once it prints `listening on HOST:PORT` to stderr. */
export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const id = opts.id ?? 'test';
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'logd-test-'));
  const argv = [...(opts.nodeArgs ?? []), ...LOGD, '--id', id, '--data', dir, '--listen', '127.0.0.1:0', ...(opts.args ?? [])];
  const [file, args] =
    opts.fileLimit === undefined ? [process.execPath, argv] : ['sh', ['-c', `ulimit -n ${opts.fileLimit} && exec "$0" "$@"`, process.execPath, ...argv]];
  const proc = spawn(file, args, { stdio: ['ignore', 'inherit', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`logd did not start in 20 s:\n${err}`)), 20_000);
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on [^\s:]+:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`logd exited with ${code} before listening:\n${err}`));
    });
  });
  const server: RunningServer = {
    id,
    host: '127.0.0.1',
    port,
    dir,
    proc,
    stderr: () => err,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  return server;
}
