// logtail against a server that refuses its lines for good: it stops with the reason and a
// non-zero exit instead of retrying forever.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src/client/index.ts';
import { startServer } from '../_server.ts';
import { logtail } from './_tools.ts';

function fileWithLine(t: { teardown(fn: () => void): void }): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'logtail-refused-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'app.log');
  writeFileSync(file, 'a line\n');
  return { dir, file };
}

async function exitOf(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const tail = logtail(args);
  await new Promise((resolve) => tail.proc.on('exit', resolve));
  return { code: tail.proc.exitCode, stderr: tail.stderr() };
}

test('a log the node does not hold (nolog) or does not take writes for (readonly): exit 1 with the reason', async (t) => {
  const server = await startServer({ id: 'rf', args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const { file } = fileWithLine(t);
  const to = `127.0.0.1:${server.port}`;

  const nolog = await exitOf([file, '--log', 'elsewhere', '--to', to]);
  t.is(nolog.code, 1);
  t.regex(nolog.stderr, /^logtail: opened .*\nlogtail: the server refuses the lines for good \(nolog: this node holds no log "elsewhere"\); stopping\n$/);

  const client = await connect({ host: server.host, port: server.port });
  t.teardown(() => client.destroy());
  await client.refuse('rf');
  const readonly = await exitOf([file, '--log', 'rf', '--to', to]);
  t.is(readonly.code, 1);
  t.regex(readonly.stderr, /refuses the lines for good \(readonly: rf is refused on this node \(failover\)\); stopping\n$/);
});

test('a missing or wrong token (auth): exit 3', async (t) => {
  const { dir, file } = fileWithLine(t);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'sesame\n');
  const server = await startServer({ id: 'rfa', args: ['--fsync', 'none', '--token-file', tokenFile] });
  t.teardown(() => server.stop());
  const to = `127.0.0.1:${server.port}`;
  for (const token of [[], ['--token', 'wrong']]) {
    const refused = await exitOf([file, '--log', 'rfa', '--to', to, ...token]);
    t.is(refused.code, 3, refused.stderr);
    t.regex(refused.stderr, /refuses the lines for good \(auth: .+\); stopping\n$/);
  }
});
