import test from 'ava';
import { crc32 } from 'node:zlib';
import { crcHex, payloadCrc } from '../../protocol/frame.ts';
import { Wire } from '../_wire.ts';
import { Cluster, logs, talk, waitFor, write } from './_cluster.ts';
import { bobFollowing, fakeSource, frame } from './_fake-source.ts';

const text = async (port: number, commands: string) => (await talk(port, commands)).toString('latin1');

test('REPLICATE refuses what does not continue this copy, streams, and records ACKs', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob', 'carol']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice', { args: ['--chunk-bytes', '2048'] });
  await cluster.start('bob');
  const alice = cluster.port('alice');
  for (let k = 0; k < 5; k++) await write(alice, 'alice', 20, `r${k}-`); // separate writes, so chunks roll
  await waitFor('bob at 100', async () => (await logs(cluster.port('bob'))).get('alice')?.head === 100);

  t.is(await text(alice, 'REPLICATE nosuch 1\n'), 'ERR nolog nosuch\r\nOK\r\n');
  t.regex(await text(alice, 'REPLICATE alice 102\n'), /^ERR diverged alice: the follower holds records up to 101, this node, its writer, only up to 100\r\n/);
  t.regex(await text(cluster.port('bob'), 'REPLICATE alice 102\n'), /^ERR syntax start 102 is past the head 100 of alice here\r\n/);
  t.regex(await text(alice, 'REPLICATE alice 2 1 4 zz\n'), /^ERR syntax bad crc "zz"\r\n/);
  const rec1 = (await text(alice, 'READ alice 1 1\n')).split('\r\n')[0]!.split(' '); // REC 1 <ts> <len> <crc>
  const stamp1 = rec1.slice(2).join(' ');
  t.is(rec1[4], crcHex(payloadCrc(Buffer.from('r0-0'))));
  // Any field of the resume stamp that differs is a divergence, the timestamp as much as the CRC.
  const [ts1, len1, crc1] = rec1.slice(2);
  for (const wrong of [`${ts1} ${len1} 00000000`, `${Number(ts1) + 1} ${len1} ${crc1}`, `${ts1} ${Number(len1) + 1} ${crc1}`]) {
    t.is(await text(alice, `REPLICATE alice 2 ${wrong}\n`), `ERR diverged record 1 of alice is ${stamp1} here and ${wrong} on the follower\r\nOK\r\n`);
  }
  t.regex(await text(alice, 'ACK bob 3\n'), /^ERR syntax ACK is only accepted during REPLICATE\r\n/);

  // The prefix digest up to start-1 (the CRC-32 of the header lines of records 1..start-1) must match too.
  const digest1 = crcHex(crc32(Buffer.from(`REC 1 ${stamp1}\r\n`)));
  const wrongDigest = crcHex(crc32(Buffer.from(`REC 1 ${stamp1}\r\n`)) ^ 1);
  t.is(
    await text(alice, `REPLICATE alice 2 ${stamp1} ${wrongDigest}\n`),
    `ERR diverged records 1..1 of alice differ: prefix digest ${digest1} here and ${wrongDigest} on the follower\r\nOK\r\n`,
  );

  // A follower's session: heartbeat with the head at once, frames from start, ACKs recorded, STOP ends it.
  const wire = await Wire.open(alice);
  wire.send(`REPLICATE alice 2 ${stamp1} ${digest1}\n`);
  t.is(await wire.line(), 'HB 100');
  const first = await wire.records();
  t.is(first.records.length, 99);
  t.is(first.records[0]?.payload.toString(), 'r0-1');
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

test('a source sending a corrupt record or ids that do not continue: clear errors, only verified records kept', async (t) => {
  let mode: 'corrupt' | 'skip' | 'good' = 'corrupt';
  const fake = await fakeSource({
    name: 'mallory',
    replicate(start, socket) {
      socket.write('HB 3\r\n');
      if (start === 1) socket.write(Buffer.concat([frame(1, 'one'), frame(2, 'two')]));
      // Later frames in a later packet, so the good ones are stored first.
      setTimeout(() => {
        if (mode === 'corrupt') socket.write(frame(3, 'three', 12345));
        if (mode === 'skip') socket.write(frame(5, 'five'));
        if (mode === 'good') socket.write(frame(3, 'three'));
      }, 100);
    },
  });
  const { cluster, bob } = await bobFollowing(t, new Map([['mallory', fake]]));
  const malloryOnBob = async () => (await logs(cluster.port('bob'))).get('mallory');

  await waitFor('the CRC mismatch to be reported', () => /replica mallory: mallory sent records that were not stored: .*CRC/.test(bob.stderr()));
  t.like(await malloryOnBob(), { head: 2, role: 'replica' });
  mode = 'skip';
  await waitFor('the id gap to be reported', () => /replica mallory: mallory sent id 5 where 3 was due/.test(bob.stderr()));
  t.like(await malloryOnBob(), { head: 2 });
  mode = 'good';
  await waitFor('the good record', async () => (await malloryOnBob())?.head === 3);
  const stamp2 = `1700000000002 3 ${crcHex(payloadCrc(Buffer.from('two')))}`;
  const headers = Buffer.concat([frame(1, 'one'), frame(2, 'two')].map((f) => f.subarray(0, f.indexOf('\r\n') + 2)));
  const digest2 = crcHex(crc32(headers));
  t.is(fake.requests[0]?.line, 'REPLICATE mallory 1');
  t.true(fake.requests.length >= 3);
  for (const r of fake.requests.slice(1)) t.is(r.line, `REPLICATE mallory 3 ${stamp2} ${digest2}`, 'resumes after its own head, never from the start');
  t.regex(
    (await talk(cluster.port('bob'), 'READ mallory 1 3\n')).toString(),
    /^REC 1 1700000000001 3 [0-9a-f]{8}\r\none\r\nREC 2 .*\r\ntwo\r\nREC 3 1700000000003 5 [0-9a-f]{8}\r\nthree\r\nEND 4\r\n/,
  );
});
