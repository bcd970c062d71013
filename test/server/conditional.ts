// Conditional appends over TCP: decided when storage assigns the ids (appends queued ahead count),
// a conflict stores nothing, and two writers racing on one log store every record exactly once.
import test from 'ava';
import { ConflictError, connect } from '../../src/client/index.ts';
import { startServer, type RunningServer } from '../_server.ts';
import { Wire } from '../_wire.ts';

let server: RunningServer;

test.before(async () => {
  server = await startServer({ id: 'cond', args: ['--fsync', 'none', '--chunk-bytes', '4096'] });
});

test.after.always(async () => {
  await server?.stop();
});

async function open(t: { teardown(fn: () => void): void }): Promise<Wire> {
  const wire = await Wire.open(server.port);
  t.teardown(() => wire.close());
  return wire;
}

test('a conditional MSG pipelined behind plain ones is checked when its round assigns ids, not before', async (t) => {
  const wire = await open(t);
  // One write: the plain MSGs are queued ahead of the conditional ones in the same turn.
  wire.send('MSG cond.round a\nMSG cond.round b\nMSG cond.round c\nMSG cond.round@4 d\nMSG cond.round@4 e\nAPPEND cond.round@5 1 1\nf\ng\nHEAD cond.round\n');
  const replies: string[] = [];
  for (let i = 0; i < 7; i++) replies.push(await wire.line());
  t.deepEqual(replies, ['OK 1', 'OK 2', 'OK 3', 'OK 4', 'ERR conflict cond.round next id is 5', 'OK 5 6', 'OK 6']);
  wire.send('READ cond.round 1 NOWAIT\n');
  const { records, end } = await wire.records();
  t.deepEqual(
    records.map((r) => r.payload.toString()),
    ['a', 'b', 'c', 'd', 'f', 'g'],
  );
  t.is(end, 'END 7');
});

test('a refused conditional APPEND stores nothing of its batch and the connection goes on', async (t) => {
  const wire = await open(t);
  t.is(await wire.command('MSG cond.refused@1 x'), 'OK 1');
  wire.send('APPEND cond.refused@1 3 3\nabc\ndef\nPING\n');
  t.is(await wire.line(), 'ERR conflict cond.refused next id is 2');
  t.is(await wire.line(), 'PONG');
  t.is(await wire.command('HEAD cond.refused'), 'OK 1');
});

test('two writers racing conditional appends on one log: every record stored exactly once, ids without gaps', async (t) => {
  const perWriter = 150;
  const writers = await Promise.all([connect({ port: server.port }), connect({ port: server.port })]);
  t.teardown(() => {
    for (const w of writers) w.destroy();
  });
  let conflicts = 0;
  const run = async (w: 0 | 1): Promise<void> => {
    const client = writers[w];
    let next = 1; // both start expecting id 1: one of them must get a conflict
    for (let i = 0; i < perWriter; i++) {
      const payloads = i % 3 === 0 ? [`w${w}-${i}a`, `w${w}-${i}b`] : [`w${w}-${i}`];
      for (;;) {
        try {
          const { last } =
            payloads.length === 1
              ? { last: await client.msg('cond.race', payloads[0]!, { expect: next }) }
              : await client.append('cond.race', payloads, { expect: next });
          next = last + 1;
          break;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
          conflicts++;
          t.true(err.nextId > next - 1, 'the next id moved on');
          next = err.nextId;
        }
      }
    }
  };
  await Promise.all([run(0), run(1)]);
  t.true(conflicts > 0);
  const reader = await connect({ port: server.port });
  t.teardown(() => reader.destroy());
  const texts: string[] = [];
  let id = 1;
  for await (const record of reader.read('cond.race', 1)) {
    t.is(record.id, id++);
    texts.push(record.payload.toString());
  }
  const expected = [0, 1].flatMap((w) => Array.from({ length: perWriter }, (_, i) => (i % 3 === 0 ? [`w${w}-${i}a`, `w${w}-${i}b`] : [`w${w}-${i}`])).flat());
  t.is(texts.length, expected.length, 'nothing stored twice');
  t.deepEqual([...texts].sort(), [...expected].sort(), 'every record stored once');
  // An APPEND's records stay together even under the race.
  for (let k = 0; k < texts.length; k++) if (/-\d+a$/.test(texts[k]!)) t.is(texts[k + 1], texts[k]!.slice(0, -1) + 'b');
});

test('the client: expect refuses with a ConflictError carrying the next id; resending after a lost reply stores once', async (t) => {
  const client = await connect({ port: server.port });
  t.teardown(() => client.destroy());
  t.is(await client.msg('cond.client', 'one', { expect: 1 }), 1);
  const err = await t.throwsAsync(client.msg('cond.client', 'one', { expect: 1 }), { instanceOf: ConflictError });
  t.is(err!.nextId, 2);
  t.is(err!.code, 'conflict');
  t.deepEqual(await client.append('cond.client', ['two', 'three'], { expect: 2 }), { first: 2, last: 3 });
  const again = await t.throwsAsync(client.append('cond.client', ['two', 'three'], { expect: 2 }), { instanceOf: ConflictError });
  t.is(again!.nextId, 4);
  t.is(await client.head('cond.client'), 3);
  await t.throwsAsync(client.msg('cond.client', 'x', { expect: 0 }), { message: /expect must be an id >= 1/ });
});
