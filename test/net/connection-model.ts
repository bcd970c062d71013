// Model-based test of a connection: random sequences of MSG, APPEND, READ (bounded, NOWAIT,
// following, from `$` or an id), HEAD, PING, SUBSCRIBE, STOP and CLOSE, sent to a real server split
// at random byte boundaries and followed by the client's EOF, are checked reply by reply against
// the reference model of PROTOCOL.md's rules (_model.ts): order, ids, payloads, STOP and CLOSE
// reaching every READ before them, nothing after CLOSE running, the EOF ending streams at the head.
import test from 'ava';
import fc from 'fast-check';
import { connect, type Socket } from 'node:net';
import { FRAME_INCOMPLETE, FRAME_MALFORMED, newFrameHeader, parseFrame } from '../../protocol/frame.ts';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';
import { expectedReplies, wire, type Expected, type ModelCommand } from './_model.ts';

const CLOSE_MS = 10_000;

const text = fc.stringMatching(/^[a-z ]{0,12}[a-z]$/);
const body = fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b));
const command: fc.Arbitrary<ModelCommand> = fc.oneof(
  { arbitrary: fc.constant({ verb: 'PING' as const }), weight: 2 },
  { arbitrary: text.map((t) => ({ verb: 'MSG' as const, text: t })), weight: 6 },
  { arbitrary: fc.array(body, { minLength: 1, maxLength: 4 }).map((bodies) => ({ verb: 'APPEND' as const, bodies })), weight: 3 },
  { arbitrary: fc.constant({ verb: 'HEAD' as const }), weight: 2 },
  {
    arbitrary: fc.record({
      verb: fc.constant('READ' as const),
      start: fc.oneof(fc.constant('$' as const), fc.integer({ min: 1, max: 14 })),
      limit: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 })),
      nowait: fc.boolean(),
    }),
    weight: 5,
  },
  { arbitrary: fc.constant({ verb: 'SUBSCRIBE' as const }), weight: 1 },
  { arbitrary: fc.constant({ verb: 'STOP' as const }), weight: 2 },
  { arbitrary: fc.constant({ verb: 'CLOSE' as const }), weight: 1 },
);
/** Where to cut the bytes, as fractions of their length (per mille). */
const cuts = fc.array(fc.integer({ min: 1, max: 999 }), { maxLength: 10 });

/** Sends the chunks one event-loop turn apart, then EOF; resolves with every byte the server sent until it closed. */
async function exchange(port: number, chunks: Buffer[]): Promise<Buffer> {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the server did not close within ${CLOSE_MS} ms; got ${JSON.stringify(Buffer.concat(received).toString('latin1').slice(-300))}`)),
      CLOSE_MS,
    );
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const chunk of chunks) {
    socket.write(chunk);
    await new Promise((r) => setImmediate(r));
  }
  socket.end();
  await closed;
  return Buffer.concat(received);
}

/** Checks the server's bytes against the model's replies; throws with the first difference. */
function check(bytes: Buffer, replies: Expected[], payloads: Buffer[], log: string): void {
  let pos = 0;
  let subscribed = false;
  let lastPush = -1;
  const line = (): string => {
    const lf = bytes.indexOf(10, pos);
    if (lf < 1 || bytes[lf - 1] !== 13)
      throw new Error(`expected a line at byte ${pos}, got ${JSON.stringify(bytes.subarray(pos, pos + 80).toString('latin1'))}`);
    const out = bytes.subarray(pos, lf - 1).toString('latin1');
    pos = lf + 1;
    return out;
  };
  /** Pushes arrive between whole lines and frames, only once subscribed, never going back. */
  const skipPushes = (): void => {
    while (bytes.subarray(pos, pos + 5).toString('latin1') === 'HEAD ') {
      const push = line();
      const m = /^HEAD (\S+) (\d+)$/.exec(push);
      if (!subscribed || !m || m[1] !== log || Number(m[2]) < lastPush || Number(m[2]) > payloads.length)
        throw new Error(`unexpected push ${JSON.stringify(push)}`);
      lastPush = Number(m[2]);
    }
  };
  const h = newFrameHeader();
  for (const want of replies) {
    skipPushes();
    if (want.kind === 'lines') {
      for (const expected of want.lines) {
        const got = line();
        if (got !== expected) throw new Error(`${want.command}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
      }
      if (want.command.startsWith('SUBSCRIBE')) {
        subscribed = true;
        lastPush = Number(want.lines[1]?.split(' ')[2]);
      }
      continue;
    }
    let count = 0;
    for (;;) {
      skipPushes();
      if (bytes.subarray(pos, pos + 4).toString('latin1') !== 'REC ') break;
      const n = parseFrame(bytes, pos, bytes.length, h);
      if (n === FRAME_INCOMPLETE || n === FRAME_MALFORMED) throw new Error(`${want.command}: a broken frame at byte ${pos}`);
      const id = want.start + count;
      const payload = bytes.subarray(pos + h.headerLength, pos + h.headerLength + h.len);
      if (h.id !== id || !payloads[id - 1]?.equals(payload))
        throw new Error(
          `${want.command}: expected record ${id} ${JSON.stringify(payloads[id - 1]?.toString('latin1'))}, got ${h.id} ${JSON.stringify(payload.toString('latin1'))}`,
        );
      pos += n;
      count++;
    }
    const end = line();
    if (end !== `END ${want.start + count}`)
      throw new Error(`${want.command}: after ${count} records expected END ${want.start + count}, got ${JSON.stringify(end)}`);
    if (count < want.min || count > want.max) throw new Error(`${want.command}: ${count} records, expected ${want.min}..${want.max}`);
  }
  skipPushes();
  if (pos !== bytes.length) throw new Error(`unexpected bytes after the last reply: ${JSON.stringify(bytes.subarray(pos, pos + 200).toString('latin1'))}`);
}

test('a connection answers random pipelined commands, cut anywhere, as the reference model of PROTOCOL.md says', async (t) => {
  t.timeout(600_000);
  const server = await startServer({ args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const control = await Wire.open(server.port);
  t.teardown(() => control.close());
  let run = 0;
  let closes = 0;
  let reads = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 24 }), cuts, async (cmds, perMille) => {
      const log = `test.m${run++}`;
      const bytes = Buffer.concat(cmds.map((c) => wire(c, log)));
      const points = [...new Set(perMille.map((p) => Math.floor((p * bytes.length) / 1000)))].filter((p) => p > 0).sort((a, b) => a - b);
      const chunks = [0, ...points].map((from, i) => bytes.subarray(from, points[i] ?? bytes.length));
      const { replies, payloads } = expectedReplies(cmds, log);
      check(await exchange(server.port, chunks), replies, payloads, log);
      // What ran is what the model says ran: nothing sent after a CLOSE was stored.
      const head = await control.command(`HEAD ${log}`);
      if (head !== `OK ${payloads.length}`) throw new Error(`${log}: HEAD ${head}, the model stored ${payloads.length}`);
      if (cmds.some((c) => c.verb === 'CLOSE')) closes++;
      reads += replies.filter((r) => r.kind === 'read').length;
    }),
    { numRuns: 150, includeErrorInReport: true },
  );
  t.log(`${run} sequences, ${closes} with a CLOSE, ${reads} READs checked`);
  t.true(closes > 0 && reads > 0);
  t.is(await control.command('PING'), 'PONG', 'the server still serves');
});
