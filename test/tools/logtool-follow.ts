// logtool read --follow across a server restart: every record once, and the outage told in two
// stderr lines (its start, and the first record after it), not one per attempt.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src/client/index.ts';
import { LOGTOOL } from '../_commands.ts';
import { startServer } from '../_server.ts';
import { freePort, until } from './_tools.ts';

test('read --follow survives a restart with one line when the server goes and one when records flow again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logtool-follow-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const args = ['--listen', `127.0.0.1:${port}`, '--fsync', 'none'];
  let server = await startServer({ id: 'lf', dir: join(dir, 'data'), args });
  t.teardown(() => server.kill());
  const write = async (text: string) => {
    const client = await connect({ port });
    await client.msg('lf', text);
    client.destroy();
  };
  await write('a');

  const reader = spawn(process.execPath, [...LOGTOOL, 'read', 'lf', '--follow', '--limit', '3', '--quiet', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => reader.kill());
  let stdout = '';
  let stderr = '';
  reader.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  reader.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => reader.on('exit', resolve));
  await until(
    () => stdout,
    async () => stdout === 'a\n',
  );

  await server.stop();
  await until(
    () => stderr,
    async () => /retrying/.test(stderr),
  );
  server = await startServer({ id: 'lf', dir: join(dir, 'data'), args });
  await write('b');
  await write('c');
  t.is(await exited, 0, stderr);
  t.is(stdout, 'a\nb\nc\n');
  const lines = stderr.trimEnd().split('\n');
  t.is(lines.length, 2, stderr);
  t.regex(lines[0] ?? '', /^logtool: .+; retrying$/);
  t.regex(lines[1] ?? '', /^logtool: following again after \d+\.\d s \(\d+ failed attempts\)$/);
});
