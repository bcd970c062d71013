// The command line of the hostile-conditions features: safe defaults and refused combinations.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions, type ServerOptions } from '../../src/options.ts';
import { startServer } from '../_server.ts';

test('defaults: bound to 127.0.0.1, no token, no TLS, slow consumers cut at 1 MiB, no write deadline', (t) => {
  const o = parseOptions(['--id', 'n']) as ServerOptions;
  t.is(o.host, '127.0.0.1');
  t.is(o.tokenFile, null);
  t.false(o.publicRead);
  t.is(o.tlsCert, null);
  t.is(o.maxPending, 1024 * 1024);
  t.is(o.writeDeadlineMs, 0);
});

test('combinations that cannot work are refused', (t) => {
  t.throws(() => parseOptions(['--public-read']), { message: /--public-read needs --token-file/ });
  t.throws(() => parseOptions(['--tls-cert', 'c.pem']), { message: /--tls-cert and --tls-key go together/ });
  t.throws(() => parseOptions(['--tls-key', 'k.pem']), { message: /--tls-cert and --tls-key go together/ });
  t.throws(() => parseOptions(['--tls-ca', 'ca.pem']), { message: /--tls-ca needs --tls-cert and --tls-key/ });
  t.throws(() => parseOptions(['--max-pending', '0']), { message: /--max-pending/ });
  t.is((parseOptions(['--token-file', 't', '--public-read', '--write-deadline', '5000', '--max-pending', '64K']) as ServerOptions).maxPending, 65536);
});

test('an unreadable certificate stops logd at start with the flag named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logd-flags-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const err = await startServer({ dir, args: ['--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem'] }).catch((e: Error) => e);
  t.true(err instanceof Error && /exited with 1 .*--tls-cert \/nonexistent\/cert\.pem: ENOENT/s.test(err.message), String(err));
});
