// The incremental parser: any split of the stream parses the same, random bytes never throw or
// hang, limits hold memory down, and each verb's grammar (protocol/PROTOCOL.md).
import test from 'ava';
import fc from 'fast-check';
import type { Command } from '../../protocol/commands.ts';
import { DEFAULT_LIMITS, Parser, type ParserLimits } from '../../protocol/parser.ts';
import { Pieces } from '../../protocol/pieces.ts';
import { Recorder, eventsSplit, feed } from './_events.ts';
import { clientBytes, connections, loadTranscripts, type Transcript } from './_transcript.ts';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** The parser limits a transcript's server runs with. */
function limitsOf(t: Transcript): ParserLimits {
  const flag = (name: string, dflt: number): number => {
    const i = t.args.indexOf(name);
    return i < 0 ? dflt : Number(t.args[i + 1]);
  };
  return {
    maxLine: flag('--max-line', DEFAULT_LIMITS.maxLine),
    maxMsg: flag('--max-msg', DEFAULT_LIMITS.maxMsg),
    maxBatch: flag('--max-batch', DEFAULT_LIMITS.maxBatch),
  };
}

for (const t of loadTranscripts()) {
  test(`transcript ${t.name}: the client bytes parse the same split at every byte`, (t2) => {
    const limits = limitsOf(t);
    let events = 0;
    for (const conn of connections(t)) {
      const bytes = clientBytes(t, conn);
      const whole = eventsSplit(bytes, [], limits);
      events += whole.length;
      for (let cut = 1; cut < bytes.length; cut++) t2.deepEqual(eventsSplit(bytes, [cut], limits), whole, `connection ${conn}, cut at ${cut}`);
      const bytewise = Array.from({ length: Math.max(0, bytes.length - 1) }, (_, i) => i + 1);
      t2.deepEqual(eventsSplit(bytes, bytewise, limits), whole, `connection ${conn}, one byte at a time`);
    }
    t2.not(events, 0, 'the transcript sends nothing the parser reports');
  });
}

const SMALL: ParserLimits = { maxLine: 40, maxMsg: 24, maxBatch: 60 };
// Fragments that reach every state (bodies, terminators, long lines, fatal errors), mixed with noise.
const fragment = fc.oneof(
  fc.constantFrom(
    'PING\n',
    'MSG t hello\r\n',
    'MSG t ',
    'APPEND t 3 0 2\n',
    'abc\r\n',
    '\n',
    '\r',
    ' ',
    'APPEND t 30\n',
    'APPEND ../x 2\nhi\n',
    'READ t $ 5 NOWAIT\n',
    'APPEND t x\n',
    'x'.repeat(45),
    'MSG t ' + 'y'.repeat(30),
    'APPEND',
  ),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a).toString('latin1')),
);

test('random bytes split at random points never throw and parse the same as one push', (t) => {
  fc.assert(
    fc.property(fc.array(fragment, { maxLength: 24 }), fc.array(fc.nat(), { maxLength: 12 }), (parts, cutSeeds) => {
      const bytes = b(parts.join(''));
      const cuts = cutSeeds.map((c) => (bytes.length === 0 ? 0 : c % bytes.length));
      const whole = eventsSplit(bytes, [], SMALL);
      t.deepEqual(eventsSplit(bytes, cuts, SMALL), whole);
      t.deepEqual(eventsSplit(bytes, cuts, DEFAULT_LIMITS), eventsSplit(bytes, [], DEFAULT_LIMITS));
    }),
    { numRuns: 3000, seed: 20261121 },
  );
});

test('a 10 MB line without LF holds at most max-line bytes, then is refused once and skipped', (t) => {
  const rec = new Recorder();
  const p = new Parser(DEFAULT_LIMITS, rec);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let most = 0;
  for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) {
    p.push(chunk);
    most = Math.max(most, p.buffered);
  }
  t.true(most <= DEFAULT_LIMITS.maxLine + 1, `held ${most} bytes`);
  p.push(b('still the same line\nPING\n'));
  t.deepEqual(rec.events, ['error toolong line over 65536 bytes', 'cmd {"verb":"PING"}']);
  t.is(p.buffered, 0);
});

test('an APPEND declaring 10 GB is refused at once and its bodies skipped without buffering', (t) => {
  const rec = new Recorder();
  const p = new Parser(DEFAULT_LIMITS, rec);
  const tenGiB = 10 * 1024 ** 3;
  p.push(b(`APPEND test ${tenGiB}\r\n`));
  t.deepEqual(rec.events, ['error toolong record over 1048576 bytes']);
  const chunk = Buffer.alloc(1024 * 1024, 0x0a); // LFs inside the body: counted, never scanned
  for (let sent = 0; sent < tenGiB; sent += chunk.length) {
    p.push(chunk);
    if (p.buffered !== 0) return t.fail(`held ${p.buffered} bytes after ${sent}`);
  }
  p.push(b('\r\nPING\n'));
  t.deepEqual(rec.events, ['error toolong record over 1048576 bytes', 'cmd {"verb":"PING"}']);
});

test('APPEND batches over max-batch are refused and skipped; the next command parses', (t) => {
  const limits = { maxLine: 100, maxMsg: 10, maxBatch: 15 };
  const { rec, parser } = feed([b('APPEND t 10 10\n0123456789\n0123456789\r\nAPPEND t 5 10\nabcde\n0123456789\nPING\n')], limits);
  t.deepEqual(rec.events.slice(0, 1), ['error toolong batch over 15 bytes']);
  t.is(rec.commands.length, 2);
  t.deepEqual(rec.commands[0], { verb: 'APPEND', log: 't', payloads: [b('abcde'), b('0123456789')] });
  t.is(parser.buffered, 0);
});

test('a conditional APPEND carries its next id; a bad one is refused and its bodies skipped', (t) => {
  const { rec, parser } = feed([b('APPEND t@4 3 2\nabc\nde\nAPPEND t@x 3\nabc\nAPPEND t/u@4 1\nz\nPING\n')]);
  t.deepEqual(rec.events, [
    `cmd ${JSON.stringify({ verb: 'APPEND', log: 't', payloads: [b('abc'), b('de')], expect: 4 })}`,
    'error syntax bad next id "x"',
    'error syntax bad log name "t/u"',
    'cmd {"verb":"PING"}',
  ]);
  t.is(parser.buffered, 0);
});

test('a MSG text may exceed max-line up to max-msg, streaming in over many chunks', (t) => {
  const limits = { maxLine: 64, maxMsg: 10_000, maxBatch: 10_000 };
  const text = Buffer.alloc(10_000, 0x7a);
  const line = Buffer.concat([b('MSG test '), text, b('\r\n')]);
  const chunks = Array.from({ length: Math.ceil(line.length / 100) }, (_, i) => line.subarray(i * 100, i * 100 + 100));
  const { rec } = feed(chunks, limits);
  t.deepEqual(rec.commands, [{ verb: 'MSG', log: 'test', payload: text }]);
  const over = Buffer.concat([b('MSG test '), text, b('!\nPING\n')]);
  const { rec: rec2, parser } = feed([over.subarray(0, 5000), over.subarray(5000)], limits);
  t.deepEqual(rec2.events, ['error toolong message over 10000 bytes', 'cmd {"verb":"PING"}']);
  t.is(parser.buffered, 0);
});

test('a long line is told apart (MSG, APPEND, other) the same way when its header is far in', (t) => {
  // The parser looks at a long line's first 512 bytes first; spaces can push the header past them.
  const limits = { maxLine: 2000, maxMsg: 10_000, maxBatch: 10_000 };
  const text = Buffer.alloc(3000, 0x7a);
  const pad = ' '.repeat(700);
  const cases: [Buffer, string[]][] = [
    [
      Buffer.concat([b(`${pad}MSG${pad}test `), text, b('\nPING\n')]),
      [`cmd ${JSON.stringify({ verb: 'MSG', log: 'test', payload: text })}`, 'cmd {"verb":"PING"}'],
    ],
    [Buffer.concat([b(`${pad}READ${pad}test `), text, b('\nPING\n')]), ['error toolong line over 2000 bytes', 'cmd {"verb":"PING"}']],
    [Buffer.concat([b(`${pad}APPEND${pad}`), text, b('\nPING\n')]), ['fatal toolong line over 2000 bytes']],
  ];
  for (const [bytes, events] of cases) {
    for (const cut of [0, 300, 600, 1000, 2500]) t.deepEqual(eventsSplit(bytes, cut ? [cut, cut + 1500] : [], limits), events, `cut at ${cut}`);
  }
});

test('a long MSG that arrives in several reads keeps its text in those reads (no copy), however it is cut', (t) => {
  const text = Buffer.alloc(70_000);
  for (let i = 0; i < text.length; i++) text[i] = 97 + (i % 26);
  for (const ending of ['\n', '\r\n']) {
    const bytes = Buffer.concat([b('MSG big '), text, b(`${ending}PING\n`)]);
    const whole = eventsSplit(bytes, []);
    t.deepEqual(whole, [`cmd ${JSON.stringify({ verb: 'MSG', log: 'big', payload: text })}`, 'cmd {"verb":"PING"}']);
    const lf = bytes.indexOf('\nPING');
    for (const cuts of [[3], [8], [9], [65_536], [lf - 1], [lf], [lf + 1], [1000, 40_000, lf - 1], [7, 8, 9, 10]]) {
      t.deepEqual(eventsSplit(bytes, cuts), whole, `cut at ${cuts.join(',')}`);
    }
    const chunks = [bytes.subarray(0, 30_000), bytes.subarray(30_000)].map((c) => Buffer.from(c));
    const msg = feed(chunks).rec.commands[0] as Extract<Command, { verb: 'MSG' }>;
    t.true(msg.payload instanceof Pieces);
    const pieces = msg.payload as Pieces;
    t.is(pieces.length, text.length);
    t.deepEqual(
      pieces.list.map((p) => p.buffer),
      chunks.map((c) => c.buffer),
    );
  }
  // Under 16 KiB, or refused: parsed from one copied line as before.
  t.deepEqual(eventsSplit(Buffer.concat([b('MSG ../x '), text, b('\n')]), [30_000]), ['error syntax bad log name "../x"']);
  t.deepEqual(eventsSplit(Buffer.concat([b('MSG big '), text.subarray(0, 10_000), b('\n')]), [5000]), [
    `cmd ${JSON.stringify({ verb: 'MSG', log: 'big', payload: text.subarray(0, 10_000) })}`,
  ]);
});

/** A buffer with its own memory, as a socket 'data' event delivers (b() may use the shared pool). */
const own = (s: string): Buffer => {
  const buf = Buffer.alloc(s.length);
  buf.write(s, 'latin1');
  return buf;
};

test('a MSG inside one chunk is a zero-copy view; a body spanning chunks is one exact-size copy', (t) => {
  const chunk = own('MSG test hello\nAPPEND test 3 6\nabc\nde');
  const rec = new Recorder();
  const p = new Parser(DEFAULT_LIMITS, rec);
  p.push(chunk);
  t.is(p.buffered, 9); // "abc" viewed and the 6-byte body allocated
  const more = [own('f'), own('ghi\n')];
  for (const c of more) p.push(c);
  const [msg, append] = rec.commands as [Extract<Command, { verb: 'MSG' }>, Extract<Command, { verb: 'APPEND' }>];
  t.is((msg.payload as Buffer).buffer, chunk.buffer);
  t.deepEqual(msg.payload, b('hello'));
  t.is(append.payloads[0]?.buffer, chunk.buffer);
  t.deepEqual(append.payloads.map(String), ['abc', 'defghi']);
  for (const c of [chunk, ...more]) t.not(append.payloads[1]?.buffer, c.buffer);
  t.is(p.buffered, 0);
});

test('after a fatal error the parser ignores everything', (t) => {
  const { rec, parser } = feed([b('PING\nAPPEND t 2\nabX\nPING\n'), b('PING\n')]);
  t.deepEqual(rec.events, ['cmd {"verb":"PING"}', 'fatal syntax bad APPEND body terminator']);
  t.is(parser.buffered, 0);
});

// The grammar, verb by verb: each line alone gives exactly this event.
const GRAMMAR: [string, Command | string][] = [
  ['PING', { verb: 'PING' }],
  ['pInG\r', { verb: 'PING' }],
  ['  PING  ', { verb: 'PING' }],
  ['MSG a  b c ', { verb: 'MSG', log: 'a', payload: b(' b c ') }],
  ['MSG   a b\r', { verb: 'MSG', log: 'a', payload: b('b') }],
  ['MSG a b\r\r', { verb: 'MSG', log: 'a', payload: b('b\r') }],
  ['MSG a', 'error syntax empty message'],
  ['MSG a ', 'error syntax empty message'],
  ['MSG', 'error syntax usage: MSG <log>[@<next-id>] <text>'],
  ['MSG a/b x', 'error syntax bad log name "a/b"'],
  ['MSG a@7 b c', { verb: 'MSG', log: 'a', payload: b('b c'), expect: 7 }],
  ['MSG a@0 b', 'error syntax bad next id "0"'],
  ['MSG a@ b', 'error syntax bad next id ""'],
  ['MSG a@x b', 'error syntax bad next id "x"'],
  ['MSG a@1@2 b', 'error syntax bad next id "1@2"'],
  ['MSG @1 b', 'error syntax bad log name ""'],
  ['MSG a/b@1 b', 'error syntax bad log name "a/b"'],
  ['MSG a@3', 'error syntax empty message'],
  ['HEAD a.b-c_D9', { verb: 'HEAD', log: 'a.b-c_D9' }],
  ['HEAD .a', 'error syntax bad log name ".a"'],
  ['READ a 1', { verb: 'READ', log: 'a', start: 1, limit: 0, nowait: false }],
  ['READ a $ 10', { verb: 'READ', log: 'a', start: '$', limit: 10, nowait: false }],
  ['read a 5 NoWait', { verb: 'READ', log: 'a', start: 5, limit: 0, nowait: true }],
  ['READ a 5 0 nowait', { verb: 'READ', log: 'a', start: 5, limit: 0, nowait: true }],
  ['READ a 9007199254740991 9007199254740991', { verb: 'READ', log: 'a', start: 9007199254740991, limit: 9007199254740991, nowait: false }],
  ['READ a 9007199254740992', 'error syntax bad start "9007199254740992"'],
  ['READ a 0', 'error syntax bad start "0"'],
  ['READ a 1 NOWAIT NOWAIT', 'error syntax usage: READ <log> <start>|@<consumer> [<limit>] [NOWAIT|WAIT <ms>]'],
  ['READ a NOWAIT', 'error syntax bad start "NOWAIT"'],
  ['READ a @idx', { verb: 'READ', log: 'a', start: { consumer: 'idx' }, limit: 0, nowait: false }],
  ['READ a @idx 5 nowait', { verb: 'READ', log: 'a', start: { consumer: 'idx' }, limit: 5, nowait: true }],
  ['READ a @ 5', 'error syntax bad consumer name "@"'],
  ['READ a @../x', 'error syntax bad consumer name "@../x"'],
  ['READ a 3 10 WAIT 250', { verb: 'READ', log: 'a', start: 3, limit: 10, nowait: false, waitMs: 250 }],
  ['READ a @idx wait 0', { verb: 'READ', log: 'a', start: { consumer: 'idx' }, limit: 0, nowait: false, waitMs: 0 }],
  ['READ a 1 WAIT', 'error syntax usage: READ <log> <start>|@<consumer> [<limit>] [NOWAIT|WAIT <ms>]'],
  ['READ a 1 WAIT -5', 'error syntax bad wait "-5"'],
  ['READ a 1 10 WAIT 5 NOWAIT', 'error syntax NOWAIT and WAIT <ms> exclude each other'],
  ['READ a 1 NOWAIT WAIT 5', 'error syntax NOWAIT and WAIT <ms> exclude each other'],
  ['READ a 1 WAIT 5 WAIT 6', 'error syntax usage: READ <log> <start>|@<consumer> [<limit>] [NOWAIT|WAIT <ms>]'],
  ['STOP', { verb: 'STOP' }],
  ['SUBSCRIBE a b', { verb: 'SUBSCRIBE', logs: ['a', 'b'] }],
  ['SUBSCRIBE', 'error syntax usage: SUBSCRIBE <log> [<log> ...]'],
  ['UNSUBSCRIBE', { verb: 'UNSUBSCRIBE', logs: [] }],
  ['UNSUBSCRIBE a', { verb: 'UNSUBSCRIBE', logs: ['a'] }],
  ['REPLICATE a 3', { verb: 'REPLICATE', log: 'a', start: 3, resume: null, digest: null }],
  ['REPLICATE a 3 1763760000000 0 DEADbeef', { verb: 'REPLICATE', log: 'a', start: 3, resume: { ts: 1763760000000, len: 0, crc: 0xdeadbeef }, digest: null }],
  [
    'REPLICATE a 3 1763760000000 0 DEADbeef 0000000a',
    { verb: 'REPLICATE', log: 'a', start: 3, resume: { ts: 1763760000000, len: 0, crc: 0xdeadbeef }, digest: 10 },
  ],
  ['REPLICATE a 3 1763760000000 0 DEADbeef 0a', 'error syntax bad digest "0a"'],
  ['REPLICATE a 3 1763760000000 0 DEADbeef 0000000a x', 'error syntax usage: REPLICATE <log> <start> [<ts> <len> <crc> [<digest>]]'],
  ['REPLICATE a 3 1763760000000 5 deadbee', 'error syntax bad crc "deadbee"'],
  ['REPLICATE a 3 x 5 deadbeef', 'error syntax bad timestamp "x"'],
  ['REPLICATE a 3 1 -5 deadbeef', 'error syntax bad length "-5"'],
  ['REPLICATE a 3 deadbeef', 'error syntax usage: REPLICATE <log> <start> [<ts> <len> <crc> [<digest>]]'],
  ['REPLICATE a 3 1 2', 'error syntax usage: REPLICATE <log> <start> [<ts> <len> <crc> [<digest>]]'],
  ['LOGS', { verb: 'LOGS' }],
  ['STATS', { verb: 'STATS' }],
  ['CHECKPOINT c a', { verb: 'CHECKPOINT', consumer: 'c', log: 'a', id: null }],
  ['CHECKPOINT c a 0', { verb: 'CHECKPOINT', consumer: 'c', log: 'a', id: 0 }],
  ['CHECKPOINT c/ a 0', 'error syntax bad consumer name "c/"'],
  ['CHECKPOINT c a 3 reset', { verb: 'CHECKPOINT', consumer: 'c', log: 'a', id: 3, reset: true }],
  ['CHECKPOINT c a 3 BACK', 'error syntax usage: CHECKPOINT <consumer> <log> [<id> [RESET]]'],
  ['CONSUMERS', { verb: 'CONSUMERS', log: null }],
  ['CONSUMERS a', { verb: 'CONSUMERS', log: 'a' }],
  ['CONSUMERS a b', 'error syntax usage: CONSUMERS [<log>]'],
  ['SEEK a 1764583200000', { verb: 'SEEK', log: 'a', time: 1764583200000 }],
  ['SEEK a 2026-12-01T10:00:00Z', { verb: 'SEEK', log: 'a', time: Date.UTC(2026, 11, 1, 10) }],
  ['SEEK a 2026-12-01T10:00:00.5+01:30', { verb: 'SEEK', log: 'a', time: Date.UTC(2026, 11, 1, 8, 30, 0, 500) }],
  ['SEEK a 2026-12-01T10:00:00.123-0200', { verb: 'SEEK', log: 'a', time: Date.UTC(2026, 11, 1, 12, 0, 0, 123) }],
  ['SEEK a 2026-12-01T10:00:00', { verb: 'SEEK', log: 'a', time: Date.UTC(2026, 11, 1, 10) }],
  ['SEEK a 2026-02-30T10:00:00Z', 'error syntax bad time "2026-02-30T10:00:00Z"'],
  ['SEEK a 2026-12-01 10:00:00', 'error syntax usage: SEEK <log> <time>'],
  ['SEEK a 10m', 'error syntax bad time "10m"'],
  ['SEEK a 0050-06-01T00:00:00Z', { verb: 'SEEK', log: 'a', time: 0 }],
  ['SEEK a 1970-01-01T00:00:00.001+00:00', { verb: 'SEEK', log: 'a', time: 1 }],
  ['SEEK a 2024-02-29T23:59:59.999Z', { verb: 'SEEK', log: 'a', time: Date.UTC(2024, 1, 29, 23, 59, 59, 999) }],
  ['SEEK a 2026-12-01T10:00:00+24:00', 'error syntax bad time "2026-12-01T10:00:00+24:00"'],
  ['SEEK a 2026-12-01T10:00:60Z', 'error syntax bad time "2026-12-01T10:00:60Z"'],
  ['SEEK a -5', 'error syntax bad time "-5"'],
  ['TRIM a 7', { verb: 'TRIM', log: 'a', before: 7 }],
  ['TRIM a 0', 'error syntax bad before-id "0"'],
  ['REFUSE a', { verb: 'REFUSE', log: 'a' }],
  ['ACCEPT a', { verb: 'ACCEPT', log: 'a' }],
  ['AUTH s3cr\u00e9t', { verb: 'AUTH', token: 's3cr\u00e9t' }],
  ['AUTH a b', 'error syntax usage: AUTH <token>'],
  ['CLOSE', { verb: 'CLOSE' }],
  ['SHUTDOWN', { verb: 'SHUTDOWN' }],
  ['WHAT is this', 'error unknown command "WHAT"'],
];

for (const [line, want] of GRAMMAR) {
  test(`grammar: ${JSON.stringify(line)}`, (t) => {
    const { rec } = feed([Buffer.from(line + '\n', 'utf8')]);
    t.deepEqual(rec.events, [typeof want === 'string' ? want : 'cmd ' + JSON.stringify(want)]);
  });
}
