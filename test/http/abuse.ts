// The status port against abusive HTTP clients: memory stays bounded and it keeps answering.
import test from 'ava';
import { connect, type Socket } from 'node:net';
import { startServer } from '../_server.ts';
import { talk, waitFor } from '../replication/_cluster.ts';
import { rssBytes } from '../server/_rss.ts';
import { httpGet, statusUrl } from './_status.ts';

const REQUEST = 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n';

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.on('error', reject);
  });
}

test('clients pipelining requests and never reading the answers do not grow memory without bound', async (t) => {
  const node = await startServer({ id: 'alice', args: ['--http', '127.0.0.1:0'] });
  t.teardown(() => node.stop());
  const url = statusUrl(node);
  await httpGet(url + '/metrics');
  const base = rssBytes(node.proc.pid!);
  // 8 readers that never read, each pushing up to 8 MB of requests (~230,000 scrapes: unbounded
  // answering would hold gigabytes); a socket the server stops reading stalls its writer.
  const sockets = await Promise.all(Array.from({ length: 8 }, () => open(url)));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
  });
  let stalled = 0;
  for (const socket of sockets) {
    socket.pause();
    socket.on('error', () => {});
    let sent = 0;
    const pump = () => {
      while (sent < 8 << 20) {
        sent += REQUEST.length;
        if (!socket.write(REQUEST)) return void socket.once('drain', pump);
      }
    };
    pump();
    if (socket.writableLength > 0) stalled++;
  }
  let peak = 0;
  for (let i = 0; i < 40; i++) {
    const res = await httpGet(url + '/metrics'); // still answering others
    t.is(res.status, 200);
    t.is((await talk(node.port, 'PING\n')).toString(), 'PONG\r\nOK\r\n'); // and the protocol port
    peak = Math.max(peak, rssBytes(node.proc.pid!) - base);
  }
  t.log(`rss growth at most ${(peak / 2 ** 20).toFixed(1)} MiB; ${stalled} of 8 writers stalled at once`);
  t.true(peak < 128 * 2 ** 20, `rss grew ${peak} bytes`);
});

test('past 32 connections the status port closes new ones; it serves again once they go', async (t) => {
  const node = await startServer({ id: 'alice', args: ['--http', '127.0.0.1:0'] });
  t.teardown(() => node.stop());
  const url = statusUrl(node);
  const idle = await Promise.all(Array.from({ length: 32 }, () => open(url)));
  t.teardown(() => {
    for (const s of idle) s.destroy();
  });
  const extra = await open(url);
  const answer = await new Promise<string>((resolve) => {
    let text = '';
    extra.on('data', (d: Buffer) => (text += d.toString()));
    extra.on('close', () => resolve(text));
    extra.write(REQUEST);
  });
  t.is(answer, '', 'the 33rd connection is closed unanswered');
  for (const s of idle) s.destroy();
  // Served again as soon as the server has seen the closes.
  await waitFor('the status port to serve again', async () => (await httpGet(url + '/metrics')).status === 200);
  t.is((await httpGet(url + '/')).status, 200);
});

test('only GET and HEAD; unknown paths are 404', async (t) => {
  const node = await startServer({ id: 'alice', args: ['--http', '127.0.0.1:0'] });
  t.teardown(() => node.stop());
  const url = statusUrl(node);
  const socket = await open(url);
  const reply = await new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => resolve(text));
    socket.write('POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nxxxx');
  });
  t.regex(reply, /^HTTP\/1\.1 405 /);
  t.regex(reply, /\r\nAllow: GET, HEAD\r\n/);
  t.regex(reply, /\r\nConnection: close\r\n/);
  t.is((await httpGet(url + '/nosuch')).status, 404);
  const page = await httpGet(url + '/');
  t.is(page.status, 200);
  t.regex(page.body, /<script src="page.js"/);
  t.notRegex(page.body, /https?:\/\//, 'no CDN, nothing fetched from elsewhere');
});
