// --http: off by default, a usage error when malformed, a clear start failure when taken.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOGD } from '../_commands.ts';
import { startServer } from '../_server.ts';

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'logd-http-flag-'));
  const proc = spawn(process.execPath, [...LOGD, '--id', 'alice', '--data', dir, '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    proc.on('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stderr });
    }),
  );
}

test('without --http there is no status port', async (t) => {
  const node = await startServer({ id: 'alice' });
  t.teardown(() => node.stop());
  t.notRegex(node.stderr(), /status page/);
});

test('a malformed --http is a usage error (exit 2)', async (t) => {
  const { code, stderr } = await run(['--http', 'localhost']);
  t.is(code, 2);
  t.regex(stderr, /--http: expected HOST:PORT, got localhost/);
});

test('a --http port already taken stops the start with a line naming it (exit 1)', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const { code, stderr } = await run(['--http', `127.0.0.1:${port}`]);
  t.is(code, 1);
  t.regex(stderr, new RegExp(`logd: --http 127\\.0\\.0\\.1:${port}: listen EADDRINUSE`));
});
