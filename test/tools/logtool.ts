// Every logtool subcommand against a real server (and offline on its data directory), with
// the exit codes scripts rely on.
import test from 'ava';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Client } from '../../src/client/index.ts';
import { startServer, type RunningServer } from '../_server.ts';
import { logtool, payloads, until } from './_tools.ts';

let server: RunningServer;
let client: Client;
let net: string[];

test.before(async () => {
  server = await startServer({ id: 'tool', args: ['--fsync', 'none'] });
  client = await connect({ host: server.host, port: server.port });
  net = ['--host', server.host, '--port', String(server.port)];
});

test.after.always(async () => {
  client?.destroy();
  await server?.stop();
});

test('write: text arguments as one record; stdin one record per line', async (t) => {
  const one = await logtool(['write', 'tool.w', 'hello', 'there', ...net]);
  t.is(one.code, 0, one.stderr);
  t.is(one.stdout, '1\n');
  const many = await logtool(['write', 'tool.w', ...net], 'l1\n\nl3 with spaces\nlast no newline');
  t.is(many.code, 0, many.stderr);
  t.is(many.stdout, '5\n');
  t.deepEqual(await payloads(client, 'tool.w'), ['hello there', 'l1', '', 'l3 with spaces', 'last no newline']);
});

test('write --binary and --length-prefixed keep bytes exact', async (t) => {
  const blob = Buffer.from([0, 1, 10, 13, 255, 10]);
  t.is((await logtool(['write', 'tool.bin', '--binary', ...net], blob)).code, 0);
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('\n\n'), Buffer.from([0, 0, 0, 0])]);
  t.is((await logtool(['write', 'tool.bin', '--length-prefixed', ...net], framed)).code, 0);
  const records: Buffer[] = [];
  for await (const r of client.read('tool.bin', 1)) records.push(r.payload);
  t.deepEqual(records, [blob, Buffer.from('\n\n'), Buffer.alloc(0)]);
});

test('read: text, json, raw, --from, --limit', async (t) => {
  await client.append('tool.r', ['one', 'two', Buffer.from([0xff, 0xfe]), 'four']);
  t.is((await logtool(['read', 'tool.r', ...net])).stdout, 'one\ntwo\n\xff\xfe\nfour\n');
  t.is((await logtool(['read', 'tool.r', '--from', '2', '--limit', '1', ...net])).stdout, 'two\n');
  const json = (await logtool(['read', 'tool.r', '--format', 'json', '--from', '2', ...net])).stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.like(json[0], { id: 2, payload: 'two' });
  t.is(json[1].payload_base64, Buffer.from([0xff, 0xfe]).toString('base64'));
  t.true(json.every((r) => typeof r.timestamp === 'number' && /^[0-9a-f]{8}$/.test(r.crc)));
  const raw = await logtool(['read', 'tool.r', '--format', 'raw', '--limit', '1', ...net]);
  t.regex(raw.stdout, /^REC 1 \d+ 3 [0-9a-f]{8}\r\none\r\n$/);
});

test('read --since: an ISO time or an age back from now starts at the first record stamped then or later', async (t) => {
  const stamps = async (): Promise<number[]> => {
    const out: number[] = [];
    for await (const r of client.read('tool.since', 1)) out.push(r.timestamp);
    return out;
  };
  await client.append('tool.since', ['early', 'also early']);
  const [early = 0] = await stamps();
  // A later round: its timestamp is after the first ones (once the clock has moved on).
  while (Date.now() <= early) await new Promise((r) => setTimeout(r, 1));
  await client.msg('tool.since', 'late');
  const lateTs = (await stamps())[2] ?? 0;
  t.true(lateTs > early);
  t.is((await logtool(['read', 'tool.since', '--since', new Date(lateTs).toISOString(), ...net])).stdout, 'late\n');
  t.is((await logtool(['read', 'tool.since', '--since', new Date(early).toISOString(), ...net])).stdout, 'early\nalso early\nlate\n');
  t.is((await logtool(['read', 'tool.since', '--since', '2h', ...net])).stdout, 'early\nalso early\nlate\n');
  t.is((await logtool(['read', 'tool.since', '--since', '2999-01-01T00:00:00Z', ...net])).stdout, '');
  const bad = await logtool(['read', 'tool.since', '--since', 'yesterday', ...net]);
  t.is(bad.code, 2);
  t.is((await logtool(['read', 'tool.since', '--since', '2h', '--from', '1', ...net])).code, 2);
});

test('consumers: one line per consumer and log with its checkpoint and lag', async (t) => {
  await client.append('tool.cons', ['a', 'b', 'c']);
  await client.checkpoint('indexer', 'tool.cons', 1);
  await client.checkpoint('mailer', 'tool.cons', 3);
  const one = await logtool(['consumers', 'tool.cons', ...net]);
  t.is(one.code, 0, one.stderr);
  t.is(one.stdout, 'indexer tool.cons 1 2\nmailer tool.cons 3 0\n');
  t.regex((await logtool(['consumers', ...net])).stdout, /^indexer tool.cons 1 2$/m);
  t.is((await logtool(['consumers', 'nosuch', ...net])).code, 1);
  t.is((await logtool(['checkpoint', 'mailer', 'tool.cons', '2', ...net])).code, 2, 'backwards without --reset');
  t.is((await logtool(['checkpoint', 'mailer', 'tool.cons', '2', '--reset', ...net])).stdout, '2\n');
  t.is((await logtool(['checkpoint', 'mailer', 'tool.cons', '4', ...net])).code, 2, 'past the head');
});

test('read --follow gets later records; --from $ only new ones', async (t) => {
  await client.msg('tool.f', 'old');
  let exited = false;
  const following = logtool(['read', 'tool.f', '--follow', '--from', '$', '--limit', '2', ...net]).finally(() => (exited = true));
  // The tool may take a while to start on a busy machine: keep writing until it has two.
  for (let i = 1; !exited; i++) {
    await client.msg('tool.f', `new${i}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const res = await following;
  t.is(res.code, 0, res.stderr);
  const m = /^new(\d+)\nnew(\d+)\n$/.exec(res.stdout);
  t.truthy(m, res.stdout);
  t.is(Number(m![2]), Number(m![1]) + 1);
});

test('read of a log the server does not hold exits 1', async (t) => {
  const res = await logtool(['read', 'elsewhere', ...net]);
  t.is(res.code, 1);
  t.regex(res.stderr, /nolog/);
});

test('wait: returns at once when reached, when reached later, exits 1 on timeout', async (t) => {
  await client.append('tool.wait', ['a', 'b']);
  const now = await logtool(['wait', 'tool.wait', '2', ...net]);
  t.is(now.code, 0);
  t.is(now.stdout, '2\n');
  const subscribes = async () => Number((await client.stats())['cmd.subscribe'] ?? 0);
  const before = await subscribes();
  const late = logtool(['wait', 'tool.wait', '4', '--timeout', '20000', ...net]);
  // The records come only once the wait has subscribed (the server counted its SUBSCRIBE).
  await until(
    () => 'logtool wait to subscribe',
    async () => (await subscribes()) > before,
  );
  await client.append('tool.wait', ['c', 'd']);
  const res = await late;
  t.is(res.code, 0, res.stderr);
  t.is(res.stdout, '4\n');
  const timeout = await logtool(['wait', 'tool.wait', '100', '--timeout', '200', ...net]);
  t.is(timeout.code, 1);
  t.regex(timeout.stderr, /timed out/);
});

test('head, logs, stats, checkpoint', async (t) => {
  await client.append('tool.meta', ['x', 'y']);
  t.is((await logtool(['head', 'tool.meta', ...net])).stdout, '2\n');
  t.is((await logtool(['head', 'tool.never', ...net])).stdout, '0\n');
  const logs = (await logtool(['logs', ...net])).stdout;
  t.regex(logs, /^tool\.meta owner 1 2\b/m);
  const stats = (await logtool(['stats', ...net])).stdout;
  t.regex(stats, /^uptime_ms \d+$/m);
  t.regex(stats, /^head\.tool\.meta 2$/m);
  t.is((await logtool(['checkpoint', 'indexer', 'tool.meta', ...net])).stdout, '0\n');
  t.is((await logtool(['checkpoint', 'indexer', 'tool.meta', '2', ...net])).stdout, '2\n');
  t.is((await logtool(['checkpoint', 'indexer', 'tool.meta', ...net])).stdout, '2\n');
});

test('exit codes: usage 2, connection 3, and --help on every subcommand', async (t) => {
  t.is((await logtool([])).code, 2);
  t.is((await logtool(['frobnicate'])).code, 2);
  t.is((await logtool(['head'])).code, 2);
  t.is((await logtool(['head', 'x', '--bogus'])).code, 2);
  t.is((await logtool(['read', 'x', '--limit', 'many'])).code, 2);
  t.is((await logtool(['head', '../x'])).code, 2);
  const refused = await logtool(['head', 'x', '--port', '1']);
  t.is(refused.code, 3);
  t.regex(refused.stderr, /cannot connect/);
  const top = await logtool(['--help']);
  t.is(top.code, 0);
  for (const sub of ['write', 'read', 'wait', 'head', 'logs', 'stats', 'checkpoint', 'verify', 'dump', 'import']) {
    t.regex(top.stdout, new RegExp(`^  ${sub} `, 'm'));
    const help = await logtool([sub, '--help']);
    t.is(help.code, 0, sub);
    t.true(help.stdout.startsWith(`Usage: logtool ${sub}`), sub);
  }
});

test('import, then offline verify and dump; verify finds a flipped byte', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logtool-offline-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const own = await startServer({ id: 'off', dir: data, args: ['--fsync', 'none', '--chunk-bytes', '65536'] });
  t.teardown(() => own.kill());
  const file = join(dir, 'input.txt');
  writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
  const imported = await logtool(['import', 'off.bulk', file, '--batch', '300', '--host', own.host, '--port', String(own.port)]);
  t.is(imported.code, 0, imported.stderr);
  t.is(imported.stdout, '5000 1 5000\n');

  const held = await logtool(['verify', data]);
  t.is(held.code, 1, 'refuses while the server holds the directory');
  t.regex(held.stderr, /held by a running logd/);
  await own.stop();

  const ok = await logtool(['verify', data, '--quiet']);
  t.is(ok.code, 0, ok.stdout + ok.stderr);
  t.regex(ok.stdout, /^OK: 2 logs, \d+ chunks, 5000 records, 0 damaged/m);

  const dumped = await logtool(['dump', data, 'off.bulk', '--from', '4998']);
  t.is(dumped.code, 0, dumped.stderr);
  t.is(dumped.stdout, 'line 4998\nline 4999\nline 5000\n');
  t.is((await logtool(['dump', data, 'off.bulk', '--limit', '2'])).stdout, 'line 1\nline 2\n');

  // Flip one payload byte in the middle of the second chunk.
  const logDir = join(data, 'off.bulk');
  const chunks = readdirSync(logDir)
    .filter((f) => f.endsWith('.chunk'))
    .sort();
  t.true(chunks.length > 2, 'several chunks');
  const victim = join(logDir, chunks[1]!);
  const bytes = readFileSync(victim);
  const at = bytes.indexOf('line', bytes.length >> 1) + 5;
  bytes[at]! ^= 0x01;
  writeFileSync(victim, bytes);
  const bad = await logtool(['verify', data, '--quiet']);
  t.is(bad.code, 1);
  t.regex(bad.stdout, new RegExp(`^DAMAGE off\\.bulk/${chunks[1]}: record \\d+ at byte \\d+ fails its CRC check$`, 'm'));
  t.regex(bad.stdout, /^DAMAGED: /m);
  const dumpBad = await logtool(['dump', data, 'off.bulk']);
  t.is(dumpBad.code, 1);
  t.regex(dumpBad.stderr, /fails its CRC check/);
});

test('over TLS with --tls-ca, and with a token', async (t) => {
  const fixtures = join(import.meta.dirname, '../hostile/fixtures/tls');
  const dir = mkdtempSync(join(tmpdir(), 'logtool-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), 's3cret\n');
  const tlsArgs = ['--tls-cert', join(fixtures, 'node.pem'), '--tls-key', join(fixtures, 'node.key'), '--tls-ca', join(fixtures, 'ca.pem')];
  const own = await startServer({ id: 'sec', args: ['--fsync', 'none', '--token-file', join(dir, 'token'), ...tlsArgs] });
  t.teardown(() => own.stop());
  const to = ['--port', String(own.port), '--tls-ca', join(fixtures, 'ca.pem')];
  const written = await logtool(['write', 'sec', 'over', 'tls', ...to, '--token', 's3cret']);
  t.is(written.code, 0, written.stderr);
  t.is((await logtool(['read', 'sec', ...to, '--token', 's3cret'])).stdout, 'over tls\n');
  const noToken = await logtool(['write', 'sec', 'x', ...to]);
  t.is(noToken.code, 3, 'auth refusals are connection-class failures');
  t.regex(noToken.stderr, /auth/);
  t.is((await logtool(['head', 'sec', '--port', String(own.port)])).code, 3, 'plain TCP to a TLS port fails');
});
