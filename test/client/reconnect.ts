// connect({ reconnect: true }): a lost connection is replaced; what was in flight rejects and is
// never sent again (the server may have stored it); what is called meanwhile waits and goes out
// on the new connection; AUTH and subscriptions are renewed.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, ConnectionError, LogdError } from '../../src/client/index.ts';
import { startServer } from '../_server.ts';
import { freePort } from '../tools/_tools.ts';
import { fake } from './_fake-server.ts';

/** A fake server that numbers its connections: what each received, and who is the newest. */
function numbered() {
  const sockets: Socket[] = [];
  const received: string[][] = [];
  const index = (socket: Socket) => {
    if (!sockets.includes(socket)) {
      sockets.push(socket);
      received.push([]);
    }
    return sockets.indexOf(socket);
  };
  return { sockets, received, index };
}

test('a write whose reply was lost rejects and is never replayed; later calls go out on the new connection', async (t) => {
  const conns = numbered();
  let next = 1;
  const { port, close } = await fake((line, socket) => {
    const n = conns.index(socket);
    conns.received[n]!.push(line); // index() added its list
    if (line === 'MSG r lost') {
      next++;
      socket.destroy(); // stored, say, but the reply never leaves
      return null;
    }
    return line.startsWith('MSG ') ? `OK ${next++}\r\n` : 'ERR unknown\r\n';
  });
  t.teardown(close);
  const retries: string[] = [];
  const client = await connect({ port, reconnect: { minDelayMs: 10, maxDelayMs: 50, onRetry: (err) => retries.push((err as ConnectionError).code) } });
  t.teardown(() => client.destroy());

  t.is(await client.msg('r', 'first'), 1);
  const lost = await t.throwsAsync(client.msg('r', 'lost'), { instanceOf: ConnectionError });
  t.regex(lost?.code ?? '', /^(ECLOSED|ECONNRESET)$/);
  t.true(client.isOpen, 'still usable');
  t.is(await client.msg('r', 'after'), 3);
  t.deepEqual(conns.received, [['MSG r first', 'MSG r lost'], ['MSG r after']], 'the lost write was not sent again');
  t.true(retries.length >= 1);
});

test('calls made during an outage wait for the server; subscriptions are renewed', async (t) => {
  const port = await freePort();
  const args = ['--listen', `127.0.0.1:${port}`, '--fsync', 'none'];
  const dir = mkdtempSync(join(tmpdir(), 'logd-reconnect-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let server = await startServer({ id: 'rc', dir, args });
  t.teardown(() => server.kill());
  const client = await connect({ port, reconnect: { minDelayMs: 20, maxDelayMs: 200 } });
  t.teardown(() => client.destroy());
  t.is(await client.msg('rc', 'one'), 1);
  const sub = await client.subscribe(['rc']);
  const heads: number[] = [];
  sub.on('head', (_log: string, id: number) => heads.push(id));

  await server.stop();
  const waiting = client.msg('rc', 'two'); // sent once the server is back
  server = await startServer({ id: 'rc', dir, args });
  t.is(await waiting, 2);
  t.is(await client.head('rc'), 2);

  // The renewed subscription pushes the next head.
  const pushed = new Promise<number>((resolve) => sub.on('head', (_log: string, id: number) => id === 3 && resolve(id)));
  const writer = await connect({ port });
  t.teardown(() => writer.destroy());
  t.is(await writer.msg('rc', 'three'), 3);
  t.is(await pushed, 3);
});

test('a token refused on reconnection is final: waiting calls reject with auth, the client closes', async (t) => {
  const conns = numbered();
  const { port, close } = await fake((line, socket) => {
    const n = conns.index(socket);
    conns.received[n]!.push(line); // index() added its list
    if (line.startsWith('AUTH ')) return n === 0 ? 'OK\r\n' : 'ERR auth bad token\r\n';
    if (line === 'PING' && n === 0) {
      socket.destroy();
      return null;
    }
    return 'PONG\r\n';
  });
  t.teardown(close);
  const client = await connect({ port, token: 'tok', reconnect: { minDelayMs: 10, maxDelayMs: 50 } });
  t.teardown(() => client.destroy());
  await t.throwsAsync(client.ping(), { instanceOf: ConnectionError });
  const refused = await t.throwsAsync(client.ping(), { instanceOf: LogdError });
  t.is(refused?.code, 'auth');
  t.false(client.isOpen);
  t.deepEqual(conns.received[1], ['AUTH tok', 'PING'], 'AUTH first on the new connection');
});

test('close() during an outage ends at once and fails the waiting calls; without reconnect a loss is final', async (t) => {
  const server = await startServer({ id: 'co', args: ['--fsync', 'none'] });
  let noticed!: () => void;
  const lost = new Promise<void>((resolve) => (noticed = resolve));
  const client = await connect({ port: server.port, reconnect: { minDelayMs: 10, maxDelayMs: 50, onRetry: () => noticed() } });
  t.teardown(() => client.destroy());
  const plain = await connect({ port: server.port });
  t.teardown(() => plain.destroy());
  await server.stop();
  await lost;
  const waiting = client.head('x');
  await client.close();
  await t.throwsAsync(waiting, { instanceOf: ConnectionError });
  t.false(client.isOpen);

  await t.throwsAsync(plain.head('x'), { instanceOf: ConnectionError });
  t.false(plain.isOpen, 'the default: a lost connection stays lost');
});
