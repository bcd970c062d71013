import test from 'ava';
import { createServer, type Socket } from 'node:net';
import { crcHex, frameLength, payloadCrc, writeFrame } from '../../protocol/frame.ts';
import { Wire } from '../_wire.ts';
import { Cluster, freePort, logs, talk, waitFor, write } from './_cluster.ts';

const text = async (port: number, commands: string) => (await talk(port, commands)).toString('latin1');

test('REPLICATE refuses what does not continue this copy, streams, and records ACKs', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob', 'carol']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice', { args: ['--chunk-bytes', '2048'] });
  await cluster.start('bob');
  const alice = cluster.port('alice');
  for (let k = 0; k < 5; k++) await write(alice, 'alice', 20, `r${k}-`); // separate writes, so chunks roll
  await waitFor('bob at 100', async () => (await logs(cluster.port('bob'))).get('alice')?.head === 100);
  const crc1 = crcHex(payloadCrc(Buffer.from('r0-0')));

  t.is(await text(alice, 'REPLICATE nosuch 1\n'), 'ERR nolog nosuch\r\nOK\r\n');
  t.regex(await text(alice, 'REPLICATE alice 102\n'), /^ERR diverged alice: the follower holds records up to 101, this node, its writer, only up to 100\r\n/);
  t.regex(await text(cluster.port('bob'), 'REPLICATE alice 102\n'), /^ERR syntax start 102 is past the head 100 of alice here\r\n/);
  t.regex(await text(alice, 'REPLICATE alice 2 zz\n'), /^ERR syntax bad crc "zz"\r\n/);
  t.regex(await text(alice, 'REPLICATE alice 2 00000000\n'), /^ERR diverged record 1 of alice has crc [0-9a-f]{8} here and 00000000 on the follower\r\n/);
  t.regex(await text(alice, 'ACK bob 3\n'), /^ERR syntax ACK is only accepted during REPLICATE\r\n/);

  // A follower's session: heartbeat with the head at once, frames from start, ACKs recorded, STOP ends it.
  const wire = await Wire.open(alice);
  wire.send(`REPLICATE alice 2 ${crc1}\n`);
  t.is(await wire.line(), 'HB 100');
  const first = await wire.records();
  t.is(first.records.length, 99);
  t.is(first.records[0].payload.toString(), 'r0-1');
  t.regex(first.end, /^HB 100$/); // the next heartbeat, a second later: the stream goes on
  wire.send('ACK carol 100\nSTOP\n');
  t.is(await wire.line(), 'END 101');
  t.is(await wire.line(), 'OK');
  wire.close();
  t.is((await logs(alice)).get('alice')!['ack.carol'], 100);

  // A follower that disconnects mid-stream leaves the server well.
  const quitter = await Wire.open(alice);
  quitter.send('REPLICATE alice 1\n');
  await quitter.line();
  quitter.close();
  t.is(await text(alice, 'PING\n'), 'PONG\r\nOK\r\n');

  // Below the first retained id: gone.
  t.regex(await text(alice, 'TRIM alice 60\n'), /^OK \d+\r\n/);
  const firstId = (await logs(alice)).get('alice')!.first;
  t.true(firstId > 1);
  t.is(await text(alice, 'REPLICATE alice 1\n'), `ERR gone ${firstId}\r\nOK\r\n`);

  // A new follower refused that way starts at the first retained id instead (test/replication/trimmed.ts).
  const carol = await cluster.start('carol');
  await waitFor('carol to copy from the first retained id', async () => {
    const info = (await logs(cluster.port('carol'))).get('alice');
    return info?.first === firstId && info.head === 100;
  });
  t.regex(carol.stderr(), new RegExp(`replica alice: alice starts alice at id ${firstId}; this copy held nothing`));
});

/** A scripted source for the log `mallory`: answers LOGS, and REPLICATE with what `serve` says. */
async function fakeSource(serve: (start: number, socket: Socket) => void) {
  const port = await freePort();
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let lf: number;
      while ((lf = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, lf);
        buf = buf.slice(lf + 1);
        if (line === 'LOGS') socket.write('LOG mallory owner 1 3\r\nEND\r\n');
        if (line.startsWith('REPLICATE ')) {
          requests.push(line);
          serve(Number(line.split(' ')[2]), socket);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const close = () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, requests, close };
}

function frame(id: number, text: string, crc = payloadCrc(Buffer.from(text))): Buffer {
  const payload = Buffer.from(text);
  const buf = Buffer.alloc(frameLength(id, 1700000000000 + id, payload.length));
  writeFrame(buf, 0, id, 1700000000000 + id, payload, crc);
  return buf;
}

test('a source sending a corrupt record or ids that do not continue: clear errors, only verified records kept', async (t) => {
  let mode: 'corrupt' | 'skip' | 'good' = 'corrupt';
  const fake = await fakeSource((start, socket) => {
    socket.write('HB 3\r\n');
    if (start === 1) socket.write(Buffer.concat([frame(1, 'one'), frame(2, 'two')]));
    // Later frames in a later packet, so the good ones are stored first.
    setTimeout(() => {
      if (mode === 'corrupt') socket.write(frame(3, 'three', 12345));
      if (mode === 'skip') socket.write(frame(5, 'five'));
      if (mode === 'good') socket.write(frame(3, 'three'));
    }, 100);
  });
  const cluster = await Cluster.create(['bob']);
  t.teardown(async () => {
    await fake.close();
    await cluster.stopAll();
  });
  cluster.writePeers('bob', [['bob', cluster.port('bob')], ['mallory', fake.port]]);
  const bob = await cluster.start('bob');
  const malloryOnBob = async () => (await logs(cluster.port('bob'))).get('mallory');

  await waitFor('the CRC mismatch to be reported', () => /replica mallory: mallory sent records that were not stored: .*CRC/.test(bob.stderr()));
  t.like(await malloryOnBob(), { head: 2, role: 'replica' });
  mode = 'skip';
  await waitFor('the id gap to be reported', () => /replica mallory: mallory sent id 5 where 3 was due/.test(bob.stderr()));
  t.like(await malloryOnBob(), { head: 2 });
  mode = 'good';
  await waitFor('the good record', async () => (await malloryOnBob())?.head === 3);
  const crc2 = crcHex(payloadCrc(Buffer.from('two')));
  t.is(fake.requests[0], 'REPLICATE mallory 1');
  t.true(fake.requests.length >= 3);
  for (const r of fake.requests.slice(1)) t.is(r, `REPLICATE mallory 3 ${crc2}`, 'resumes after its own head, never from the start');
  t.regex((await talk(cluster.port('bob'), 'READ mallory 1 3\n')).toString(), /^REC 1 1700000000001 3 [0-9a-f]{8}\r\none\r\nREC 2 .*\r\ntwo\r\nREC 3 1700000000003 5 [0-9a-f]{8}\r\nthree\r\nEND 4\r\n/);
});
