// The client against a scripted server: what a real server never sends (bad CRCs, garbage).
import test from 'ava';
import { LogdError } from '../../protocol/errors.ts';
import { connect, ConnectionError } from '../../src/client/index.ts';
import { fake } from './_fake-server.ts';

test('a record whose CRC does not match is an error, never data; the connection goes on', async (t) => {
  const { port, close } = await fake((line) => {
    if (line.startsWith('READ')) return 'REC 1 1700000000000 5 3610a686\r\nhello\r\nREC 2 1700000000000 5 3610a686\r\nhellx\r\nEND 3\r\n';
    return line === 'PING' ? 'PONG\r\n' : 'ERR unknown\r\n';
  });
  t.teardown(close);
  const client = await connect({ port });
  const seen: number[] = [];
  const err = await t.throwsAsync(async () => {
    for await (const r of client.read('x', 1)) seen.push(r.id);
  });
  t.deepEqual(seen, [1]);
  t.true(err instanceof LogdError);
  t.regex(err!.message, /record 2 of x failed its CRC check/);
  await client.ping();
  client.destroy();
});

test('garbage from the server fails the pending calls with ConnectionError', async (t) => {
  const { port, close } = await fake(() => 'REC x\r\n');
  t.teardown(close);
  const client = await connect({ port });
  const err = await t.throwsAsync(client.head('x'));
  t.true(err instanceof ConnectionError);
  t.is((err as ConnectionError).code, 'EPROTO');
});

test('a connection dropped mid-reply fails the pending calls with ConnectionError', async (t) => {
  const { port, close } = await fake((line, socket) => {
    if (line.startsWith('HEAD')) socket.destroy();
    return null;
  });
  t.teardown(close);
  const client = await connect({ port });
  const calls = [client.head('a'), client.msg('a', 'b')];
  for (const call of calls) t.true((await t.throwsAsync(call)) instanceof ConnectionError);
});

test('a token is sent with AUTH first; a refused one rejects connect', async (t) => {
  const seen: string[] = [];
  const { port, close } = await fake((line) => {
    seen.push(line);
    if (line === 'AUTH good') return 'OK\r\n';
    if (line.startsWith('AUTH')) return 'ERR auth bad token\r\n';
    return 'PONG\r\n';
  });
  t.teardown(close);
  const client = await connect({ port, token: 'good' });
  await client.ping();
  client.destroy();
  const err = await t.throwsAsync(connect({ port, token: 'bad' }));
  t.is((err as LogdError).code, 'auth');
  t.deepEqual(seen, ['AUTH good', 'PING', 'AUTH bad']);
});
