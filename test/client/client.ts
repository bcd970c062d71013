// Every client method against a real server.
import test from 'ava';
import { LogdError } from '../../protocol/errors.ts';
import { connect, ConnectionError, type Client, type LogRecord } from '../../src/client/index.ts';
import { startServer, type RunningServer } from '../_server.ts';
import { TcpProxy, waitFor } from '../replication/_cluster.ts';

let server: RunningServer;
let client: Client;

test.before(async () => {
  server = await startServer({ id: 'cl', args: ['--fsync', 'none'] });
  client = await connect({ host: server.host, port: server.port });
});

test.after.always(async () => {
  client?.destroy();
  await server?.stop();
});

async function collect(it: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

const text = (records: LogRecord[]) => records.map((r) => r.payload.toString());

test('ping, msg, append, head', async (t) => {
  await client.ping();
  t.is(await client.head('cl.basic'), 0);
  t.is(await client.msg('cl.basic', 'hello  world '), 1);
  t.deepEqual(await client.append('cl.basic', ['a', Buffer.from([0, 13, 10, 255]), '']), { first: 2, last: 4 });
  t.is(await client.head('cl.basic'), 4);
  const records = await collect(client.read('cl.basic', 1));
  t.deepEqual(
    records.map((r) => r.id),
    [1, 2, 3, 4],
  );
  t.is(records[0]?.payload.toString(), 'hello  world ');
  t.deepEqual(records[2]?.payload, Buffer.from([0, 13, 10, 255]));
  t.is(records[3]?.payload.length, 0);
  t.true(records.every((r) => r.timestamp > 1.6e12 && r.crc >= 0));
});

test('pipelined calls resolve in order, each with the id of its own record', async (t) => {
  await client.msg('cl.pipe', 'created');
  const ids = await Promise.all(Array.from({ length: 2000 }, (_, i) => client.msg('cl.pipe', `m${i + 2}`)));
  t.deepEqual(
    ids,
    Array.from({ length: 2000 }, (_, i) => i + 2),
  );
  const stored = await collect(client.read('cl.pipe', 2));
  t.true(stored.every((r) => r.payload.toString() === `m${r.id}`));
});

test('server errors become LogdError with their code; the connection stays usable', async (t) => {
  const nolog = await t.throwsAsync(client.head('someone-else'));
  t.true(nolog instanceof LogdError);
  t.is((nolog as LogdError).code, 'nolog');
  await t.throwsAsync(client.msg('cl', 'two\nlines'), { instanceOf: LogdError, message: /line break/ });
  await t.throwsAsync(client.msg('cl', ''), { instanceOf: LogdError });
  t.is(((await t.throwsAsync(client.head('../x'))) as LogdError).code, 'syntax');
  await client.ping();
});

test('read with waitMs: ends after at most that long with what came (READ ... WAIT)', async (t) => {
  await client.append('cl.waitms', ['1', '2']);
  const stream = client.read('cl.waitms', 1, { limit: 10, waitMs: 50 });
  t.deepEqual(text(await collect(stream)), ['1', '2']);
  t.is(stream.nextId, 3);
  t.deepEqual(await collect(client.read('cl.waitms', 3, { waitMs: 0 })), []);
});

test('read: limit, NOWAIT, start past the head, $', async (t) => {
  await client.append('cl.read', ['1', '2', '3', '4', '5']);
  t.deepEqual(text(await collect(client.read('cl.read', 2, { limit: 2 }))), ['2', '3']);
  const tail = client.read('cl.read', 4);
  t.deepEqual(text(await collect(tail)), ['4', '5']);
  t.is(tail.nextId, 6);
  t.deepEqual(await collect(client.read('cl.read', 9)), []);
  t.deepEqual(await collect(client.read('cl.read', '$')), []);
  // A waiting read with a limit gets records written after it started.
  const later = collect(client.read('cl.read', 6, { limit: 2, wait: true }));
  const writer = await connect({ host: server.host, port: server.port });
  await writer.append('cl.read', ['6', '7', '8']);
  writer.destroy();
  t.deepEqual(text(await later), ['6', '7']);
});

test('leaving a following read early sends STOP; later commands still get their replies', async (t) => {
  await client.append('cl.stop', ['a', 'b', 'c']);
  const stream = client.read('cl.stop', 1, { wait: true });
  const queued = client.head('cl.stop'); // pipelined behind the stream
  const seen: string[] = [];
  for await (const r of stream) {
    seen.push(r.payload.toString());
    if (r.id === 2) break;
  }
  t.deepEqual(seen, ['a', 'b']);
  t.is(await queued, 3);
  t.is(await client.msg('cl.stop', 'd'), 4);
});

test('leaving a NOWAIT read early drains it', async (t) => {
  await client.append(
    'cl.drain',
    Array.from({ length: 3000 }, (_, i) => `r${i}`),
  );
  for await (const r of client.read('cl.drain', 1)) if (r.id === 10) break;
  t.is(await client.head('cl.drain'), 3000);
});

test('a reader that does not consume pauses the socket (bounded buffer), then gets everything', async (t) => {
  const payload = Buffer.alloc(1000, 'p');
  for (let i = 0; i < 20; i++)
    await client.append(
      'cl.big',
      Array.from({ length: 1000 }, () => payload),
    );
  // Through a proxy that reads the server without backpressure: bytes pile up in it only once
  // the client has stopped reading its socket.
  const proxy = await TcpProxy.start(server.port);
  t.teardown(() => proxy.close());
  const reader = await connect({ host: '127.0.0.1', port: proxy.port });
  const stream = reader.read('cl.big', 1);
  const first = await stream.next();
  t.is(first.value?.id, 1);
  let most = 0;
  await waitFor('the reader to stop reading its socket (4 MiB held for it) or to buffer past its bound', () => {
    most = Math.max(most, stream.buffered);
    return most > 1200 || proxy.backlog() >= 4 << 20;
  });
  t.true(most <= 1200, `buffered ${most} records`);
  let count = 1;
  for await (const r of stream) {
    count++;
    if (r.payload.length !== 1000) t.fail('bad payload');
  }
  t.is(count, 20_000);
  reader.destroy();
});

test('logs, stats, checkpoint', async (t) => {
  await client.msg('cl.meta', 'x');
  const logs = await client.logs();
  const meta = logs.find((l) => l.name === 'cl.meta');
  t.like(meta, { name: 'cl.meta', role: 'owner', first: 1, head: 1 });
  t.true(logs.some((l) => l.name === 'cl'));
  const stats = await client.stats();
  t.truthy(stats.uptime_ms);
  t.is(stats['head.cl.meta'], '1');
  t.is(await client.checkpoint('reader', 'cl.meta'), 0);
  t.is(await client.checkpoint('reader', 'cl.meta', 1), 1);
  t.is(await client.checkpoint('reader', 'cl.meta'), 1);
});

test('subscribe: current heads at once, then pushes; close stops them', async (t) => {
  await client.msg('cl.sub', 'one');
  const sub = await client.subscribe(['cl.sub', 'cl.sub2']);
  t.is(sub.heads.get('cl.sub'), 1);
  t.is(sub.heads.get('cl.sub2'), 0);
  const pushed = new Promise<[string, number]>((resolve) => sub.on('head', (log, id) => id === 3 && resolve([log, id])));
  await client.append('cl.sub', ['two', 'three']);
  t.deepEqual(await pushed, ['cl.sub', 3]);
  await sub.close();
  let after = 0;
  sub.on('head', () => after++);
  await client.msg('cl.sub', 'four');
  await client.ping();
  t.is(after, 0);
});

test.serial('follow delivers existing and new records, from a start or from $', async (t) => {
  await client.append('cl.follow', ['a', 'b']);
  const fromStart = client.follow('cl.follow', 1);
  const fromNow = client.follow('cl.follow', '$');
  t.is((await fromStart.next()).value?.payload.toString(), 'a');
  t.is((await fromStart.next()).value?.payload.toString(), 'b');
  // Serial (no other test's streams run meanwhile): the READ from $ is running once STATS counts it.
  const streams = async () => Number((await client.stats()).streams);
  const before = await streams();
  const nowNext = fromNow.next();
  await waitFor('the follow from $ to be streaming', async () => (await streams()) > before);
  await client.msg('cl.follow', 'c');
  t.is((await fromStart.next()).value?.payload.toString(), 'c');
  t.is((await nowNext).value?.payload.toString(), 'c');
  await fromStart.return();
  await fromNow.return();
});

test('materialize folds the log and waits for ids', async (t) => {
  await client.append('cl.sum', ['1', '2', '3']);
  const view = await client.materialize('cl.sum', (sum: number, r) => sum + Number(r.payload), 0);
  t.is(view.state, 6);
  t.is(view.id, 3);
  const { last } = await client.append('cl.sum', ['10', '20']);
  await view.wait(last);
  t.is(view.state, 36);
  t.is(view.id, 5);
  view.close();
});

test('connect to a closed port fails with ConnectionError', async (t) => {
  const err = await t.throwsAsync(connect({ host: '127.0.0.1', port: 1 }));
  t.true(err instanceof ConnectionError);
});

test('close says CLOSE; calls after it fail with ConnectionError', async (t) => {
  const c = await connect({ host: server.host, port: server.port });
  await c.close();
  t.true((await t.throwsAsync(c.ping())) instanceof ConnectionError);
});
