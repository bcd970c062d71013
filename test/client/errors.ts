// The errors a client call rejects with: readable messages led by the code, the code in .code,
// and a stack that names the caller's line, not the socket's event handler.
import test from 'ava';
import { connect, ConnectionError, LogdError } from '../../src/client/index.ts';
import { startServer } from '../_server.ts';

test('a refusal reads as a sentence, keeps its code and points at the caller', async (t) => {
  const server = await startServer({ id: 'errs', args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const client = await connect({ host: server.host, port: server.port });
  t.teardown(() => client.destroy());

  async function headOfBob(): Promise<number> {
    return await client.head('bob');
  }
  const nolog = await t.throwsAsync(headOfBob(), { instanceOf: LogdError });
  t.is(nolog?.code, 'nolog');
  t.is(nolog?.message, 'nolog: this node holds no log "bob"');
  t.regex(nolog?.stack ?? '', /^LogdError: nolog: this node holds no log "bob"\n/);
  t.regex(nolog?.stack ?? '', /at async headOfBob \(.*test\/client\/errors\.ts:\d+:\d+\)/);

  await client.refuse('errs');
  const readonly = await t.throwsAsync(client.msg('errs', 'y'), { instanceOf: LogdError });
  t.is(readonly?.code, 'readonly');
  t.is(readonly?.message, 'readonly: errs is refused on this node (failover)', 'other texts pass as the server sent them');
  const syntax = await t.throwsAsync(client.append('errs', []), { instanceOf: LogdError });
  t.is(syntax?.message, 'syntax: append needs at least one payload');

  // One lost connection fails both calls: each error names its own caller.
  async function listLogs() {
    return await client.logs();
  }
  async function pingIt() {
    return await client.ping();
  }
  const inFlight = [listLogs(), pingIt()];
  client.destroy();
  const [logs, ping] = await Promise.all(inFlight.map((p) => t.throwsAsync(p, { instanceOf: ConnectionError })));
  t.regex(logs?.stack ?? '', /at async listLogs \(/, 'a connection failure points at the caller too');
  t.regex(ping?.stack ?? '', /at async pingIt \(/);
  t.notRegex(ping?.stack ?? '', /listLogs/);
});

test('a READ below the first retained id: gone, in words, from the iterator at the caller', async (t) => {
  const server = await startServer({ id: 'gone', args: ['--fsync', 'none', '--chunk-bytes', '4096'] });
  t.teardown(() => server.stop());
  const client = await connect({ host: server.host, port: server.port });
  t.teardown(() => client.destroy());
  for (let i = 0; i < 4; i++)
    await client.append(
      'gone',
      Array.from({ length: 50 }, () => 'x'.repeat(60)),
    );
  const first = await client.trim('gone', 150);
  t.true(first > 1);
  async function readAll(): Promise<number> {
    let n = 0;
    for await (const _ of client.read('gone', 1)) n++;
    return n;
  }
  const gone = await t.throwsAsync(readAll(), { instanceOf: LogdError });
  t.is(gone?.code, 'gone');
  t.is(gone?.message, `gone: the records before ${first} are no longer retained (trimmed or expired)`);
  t.regex(gone?.stack ?? '', /at async readAll \(/);
});
