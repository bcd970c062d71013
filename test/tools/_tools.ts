// Helpers for the tool tests: run logtool, run logtail, poll a log.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Client } from '../../src/client/index.ts';
import { LOGTAIL, LOGTOOL } from '../_commands.ts';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs logtool to its end; `input` goes to its stdin. */
export function logtool(args: string[], input?: string | Buffer): Promise<RunResult> {
  return run([...LOGTOOL, ...args], input);
}

/** Runs node with these arguments (e.g. [...LOGD, '--version']) to its end. */
export function run(nodeArgs: string[], input?: string | Buffer): Promise<RunResult> {
  const child = spawn(process.execPath, nodeArgs, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export interface RunningTail {
  proc: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export function logtail(args: string[]): RunningTail {
  const proc = spawn(process.execPath, [...LOGTAIL, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const end = async (signal: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await exited;
  };
  return { proc, stderr: () => err, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/** Every payload of a log, as strings. */
export async function payloads(client: Client, log: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of client.read(log, 1)) out.push(r.payload.toString());
  return out;
}

/** Polls until `check` returns true (then resolves) or `ms` pass (then rejects, saying `what`). */
export async function until(what: () => string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
