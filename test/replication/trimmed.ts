// Joining a trimmed log: a new participant starts at the owner's first retained id; a replica
// that was away while the owner trimmed past its head drops its older records and continues from
// the owner's first id. No copy ever holds a gap. Also: a scripted owner that answers
// `ERR gone` with a first id past the replica, and a scripted relay that does (ignored).
import test, { type ExecutionContext } from 'ava';
import { createServer, type Socket } from 'node:net';
import { crcOfRange } from '../../protocol/crc.ts';
import { crcHex } from '../../protocol/frame.ts';
import { Cluster, freePort, logs, talk, waitFor, write, type LogInfo } from './_cluster.ts';

const SMALL_CHUNKS = ['--chunk-bytes', '1024'];

/** Every record from `from` on as READ sends them, and the ids in them. */
async function recordsFrom(port: number, log: string, from: number): Promise<{ bytes: Buffer; ids: number[] }> {
  const reply = await talk(port, `READ ${log} ${from} 0 NOWAIT\n`);
  const bytes = reply.subarray(0, reply.lastIndexOf('END '));
  const ids = [...bytes.toString('latin1').matchAll(/^REC (\d+) /gm)].map((m) => Number(m[1]));
  return { bytes, ids };
}

function contiguous(ids: number[], first: number, head: number): boolean {
  return ids.length === head - first + 1 && ids.every((id, i) => id === first + i);
}

test("a new participant joins a trimmed log at its first retained id, and its copy equals the owner's from there", async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  cluster.writePeers('alice', [['alice', cluster.port('alice')]]); // bob joins later
  await cluster.start('alice', { args: SMALL_CHUNKS });
  const alice = cluster.port('alice');
  for (let k = 0; k < 10; k++) await write(alice, 'alice', 10, `record ${k} `);
  const trimmed = Number((await talk(alice, 'TRIM alice 50\n')).toString('latin1').match(/^OK (\d+)/)![1]);
  t.true(trimmed > 1 && trimmed <= 50, `TRIM kept ${trimmed}`);

  await cluster.start('bob');
  const bob = cluster.port('bob');
  await waitFor('bob to copy alice', async () => (await logs(bob)).get('alice')?.head === 100);
  const info = (await logs(bob)).get('alice')!;
  t.is(info.first, trimmed);
  t.like(info, { role: 'replica', state: 'live', lag: 0 });
  const ours = await recordsFrom(bob, 'alice', trimmed);
  t.true(contiguous(ours.ids, trimmed, 100));
  t.deepEqual(ours.bytes, (await recordsFrom(alice, 'alice', trimmed)).bytes);
  t.regex(
    cluster.nodes.get('bob')!.stderr(),
    new RegExp(`replica alice: alice starts alice at id ${trimmed}; this copy held nothing and continues from id ${trimmed}`),
  );
  t.false(/ERR gone/.test(cluster.nodes.get('bob')!.stderr()), 'no retry loop on gone');
});

test('a replica that was away while the owner trimmed past its head drops its records and continues without a gap, also after a restart', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  await cluster.start('alice', { args: SMALL_CHUNKS });
  await cluster.start('bob', { args: SMALL_CHUNKS });
  const alice = cluster.port('alice');
  const bob = cluster.port('bob');
  await write(alice, 'alice', 20, 'early ');
  await waitFor('bob at 20', async () => (await logs(bob)).get('alice')?.head === 20);
  await cluster.nodes.get('bob')!.stop();

  for (let k = 0; k < 10; k++) await write(alice, 'alice', 10, `record ${k} `);
  const trimmed = Number((await talk(alice, 'TRIM alice 80\n')).toString('latin1').match(/^OK (\d+)/)![1]);
  t.true(trimmed > 21, `the owner trimmed past bob's head: first ${trimmed}`);

  await cluster.start('bob');
  await waitFor('bob to catch up', async () => (await logs(bob)).get('alice')?.head === 120);
  const check = async (): Promise<LogInfo> => {
    const info = (await logs(bob)).get('alice')!;
    const ours = await recordsFrom(bob, 'alice', info.first);
    t.true(contiguous(ours.ids, info.first, info.head), `ids ${info.first}..${info.head} contiguous`);
    t.deepEqual(ours.bytes, (await recordsFrom(alice, 'alice', info.first)).bytes);
    return info;
  };
  t.is((await check()).first, trimmed);
  t.regex(
    cluster.nodes.get('bob')!.stderr(),
    new RegExp(`replica alice: .*this copy dropped its 20 records up to ${trimmed - 1} \\(trimmed there too\\) and continues from id ${trimmed}`),
  );

  // The restarted copy opens at its new first id and goes on from its head.
  await cluster.nodes.get('bob')!.kill();
  await cluster.start('bob');
  await write(alice, 'alice', 5, 'late ');
  await waitFor('bob at 125', async () => (await logs(bob)).get('alice')?.head === 125);
  t.is((await check()).first, trimmed);
});

/**
 * A scripted holder of alice's log at 1000..1002 (ids below are trimmed): LOGS lists it with
 * `role`, REPLICATE below 1000 answers `ERR gone 1000`, from 1000 on it streams. Notes what it was asked.
 */
async function scriptedHolder(t: ExecutionContext, role: string): Promise<{ port: number; asked: string[] }> {
  const asked: string[] = [];
  const frame = (id: number) => {
    const text = `r${id}`;
    return `REC ${id} 1763760000000 ${text.length} ${crcHex(crcOfRange(Buffer.from(text), 0, text.length))}\r\n${text}\r\n`;
  };
  const sockets = new Set<Socket>();
  const script = createServer((socket) => {
    sockets.add(socket);
    let buf = '';
    socket.on('error', () => {});
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let lf: number;
      while ((lf = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, lf).trim();
        buf = buf.slice(lf + 1);
        if (line.startsWith('HELLO ')) socket.write(`HELLO ${role === 'owner' ? 'alice' : 'carol'}\r\n`);
        if (line === 'LOGS') socket.write(`LOG alice ${role} 1000 1002\r\nEND\r\n`);
        const m = /^REPLICATE alice (\d+)/.exec(line);
        if (!m) continue;
        asked.push(line);
        const start = Number(m[1]);
        if (start < 1000) socket.write('ERR gone 1000\r\n');
        else
          socket.write(
            'HB 1002\r\n' +
              [1000, 1001, 1002]
                .filter((id) => id >= start)
                .map(frame)
                .join(''),
          );
      }
    });
  });
  await new Promise<void>((resolve) => script.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    script.close();
  });
  return { port: (script.address() as { port: number }).port, asked };
}

test('a scripted owner: `ERR gone <first>` past the replica makes it restart empty at that id and ask from there', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob']);
  t.teardown(() => cluster.stopAll());
  const { port, asked } = await scriptedHolder(t, 'owner');
  cluster.writePeers('bob', [
    ['alice', port],
    ['bob', cluster.port('bob')],
  ]);
  await cluster.start('bob');
  const bob = cluster.port('bob');
  await waitFor('bob to hold 1000..1002', async () => {
    const info = (await logs(bob)).get('alice');
    return info?.first === 1000 && info.head === 1002;
  });
  t.is(asked[0], 'REPLICATE alice 1');
  t.true(asked.includes('REPLICATE alice 1000'), asked.join(', '));
  const ours = await recordsFrom(bob, 'alice', 1000);
  t.deepEqual(ours.ids, [1000, 1001, 1002]);
  t.is((await talk(bob, 'READ alice 1 1 NOWAIT\n')).toString('latin1'), 'ERR gone 1000\r\nOK\r\n');
});

test('a relay that trimmed (scripted carol, the owner unreachable): its `ERR gone` is only logged, the copy drops nothing', async (t) => {
  const cluster = await Cluster.create(['alice', 'bob', 'carol']);
  t.teardown(() => cluster.stopAll());
  const { port, asked } = await scriptedHolder(t, 'replica');
  const nobody = await freePort(); // alice, the owner: nothing listens there
  cluster.writePeers('bob', [
    ['alice', nobody],
    ['bob', cluster.port('bob')],
    ['carol', port],
  ]);
  await cluster.start('bob');
  await waitFor('bob to ask the relay and log its refusal', () =>
    /replica alice: carol starts alice at id 1000, but carol is a relay: this copy stays empty until the owner says so/.test(
      cluster.nodes.get('bob')!.stderr(),
    ),
  );
  t.is(asked[0], 'REPLICATE alice 1');
  t.false(asked.includes('REPLICATE alice 1000'), asked.join(', '));
  t.like((await logs(cluster.port('bob'))).get('alice'), { first: 1, head: 0 });
  t.false(/continues from id/.test(cluster.nodes.get('bob')!.stderr()));
});
