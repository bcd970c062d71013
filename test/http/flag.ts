// --http: off by default, a usage error when malformed, a clear start failure when taken.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../_server.ts';

/** The start failure: startServer rejects with the exit code and the node's stderr. */
async function startFailure(args: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'logd-http-flag-'));
  try {
    return await startServer({ id: 'alice', dir, args }).then(
      (node) => node.stop().then(() => 'started'),
      (e: Error) => e.message,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('without --http there is no status port', async (t) => {
  const node = await startServer({ id: 'alice' });
  t.teardown(() => node.stop());
  t.notRegex(node.stderr(), /status page/);
});

test('a malformed --http is a usage error (exit 2)', async (t) => {
  const failure = await startFailure(['--http', 'localhost']);
  t.regex(failure, /exited with 2 before listening/);
  t.regex(failure, /--http: expected HOST:PORT, got localhost/);
});

test('a --http port already taken stops the start with a line naming it (exit 1)', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const failure = await startFailure(['--http', `127.0.0.1:${port}`]);
  t.regex(failure, /exited with 1 before listening/);
  t.regex(failure, new RegExp(`logd: --http 127\\.0\\.0\\.1:${port}: listen EADDRINUSE`));
});
