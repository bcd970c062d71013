// follow() across a server restart, and the errors that end it.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogdError } from '../../protocol/errors.ts';
import { connect, type LogRecord } from '../../src/client/index.ts';
import { startServer } from '../_server.ts';
import { freePort, waitFor } from '../replication/_cluster.ts';

test('follow survives a server restart: every record once, in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logd-follow-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const args = ['--listen', `127.0.0.1:${port}`, '--fsync', 'none'];
  let server = await startServer({ id: 'fo', dir, args });
  t.teardown(() => server.kill());
  const writer = await connect({ port });
  await writer.append(
    'fo',
    Array.from({ length: 50 }, (_, i) => `r${i + 1}`),
  );

  const client = await connect({ port });
  const retries: string[] = [];
  const follow = client.follow('fo', 1, { minDelayMs: 20, maxDelayMs: 200, onRetry: (err) => retries.push(err.message) });
  const got: LogRecord[] = [];
  while (got.length < 50) got.push((await follow.next()).value as LogRecord);

  writer.destroy();
  await server.stop();
  const pending = follow.next(); // waits through the outage
  await waitFor('follow to retry against the stopped server', () => retries.length > 0);
  server = await startServer({ id: 'fo', dir, args });
  const writer2 = await connect({ port });
  await writer2.append(
    'fo',
    Array.from({ length: 50 }, (_, i) => `r${i + 51}`),
  );
  got.push((await pending).value as LogRecord);
  while (got.length < 100) got.push((await follow.next()).value as LogRecord);

  t.deepEqual(
    got.map((r) => r.id),
    Array.from({ length: 100 }, (_, i) => i + 1),
  );
  t.true(got.every((r) => r.payload.toString() === `r${r.id}`));
  t.true(retries.length > 0, 'it had to reconnect');
  await follow.return();
  writer2.destroy();
  client.destroy();
});

test('a start below the first retained id ends follow and read with gone', async (t) => {
  const server = await startServer({ id: 'tr', args: ['--fsync', 'none', '--chunk-bytes', '1024'] });
  t.teardown(() => server.stop());
  const client = await connect({ host: server.host, port: server.port });
  t.teardown(() => client.destroy());
  for (let i = 0; i < 10; i++)
    await client.append(
      'tr',
      Array.from({ length: 10 }, () => 'x'.repeat(50)),
    );
  const first = await client.trim('tr', 50);
  t.true(first > 1);
  const readErr = await t.throwsAsync(async () => {
    for await (const _ of client.read('tr', 1));
  });
  t.is((readErr as LogdError).code, 'gone');
  const followErr = await t.throwsAsync(client.follow('tr', 1).next());
  t.true(followErr instanceof LogdError);
  t.is((followErr as LogdError).code, 'gone');
  t.deepEqual((await client.follow('tr', first).next()).value?.id, first);
});
