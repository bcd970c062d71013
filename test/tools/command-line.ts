// The three commands' shared conventions: --version, usage errors exit 2 (with the usage named),
// and a thing that is not there exits 1.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOGD, LOGTAIL, LOGTOOL } from '../_commands.ts';
import { logtool, run } from './_tools.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

test('--version on logd, logtool and logtail prints the package version', async (t) => {
  for (const [name, command] of [
    ['logd', LOGD],
    ['logtool', LOGTOOL],
    ['logtail', LOGTAIL],
  ] as const) {
    const out = await run([...command, '--version']);
    t.is(out.code, 0, name);
    t.is(out.stdout, `${name} ${version}\n`);
  }
});

test('logd: every bad flag exits 2 with the usage text, before touching the data directory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logd-usage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const bad of [['--fsync', 'sometimes'], ['--fsync', 'interval:0'], ['--bogus'], ['--listen', 'nowhere'], ['--id', 'a.b'], ['--max-conns', 'x']]) {
    const out = await run([...LOGD, '--data', join(dir, 'd'), ...bad]);
    t.is(out.code, 2, bad.join(' '));
    t.regex(out.stderr, /^logd: .+\n\nUsage: logd/, bad.join(' '));
  }
  t.false(existsSync(join(dir, 'd')));
  const fsync = await run([...LOGD, '--fsync', 'sometimes']);
  t.regex(fsync.stderr, /--fsync: bad fsync policy "sometimes"/);
});

test('logtail: usage errors exit 2', async (t) => {
  for (const bad of [[], ['f'], ['f', '--log', '../x'], ['f', '--log', 'x', '--batch', '0'], ['f', '--log', 'x', '--bogus']]) {
    const out = await run([...LOGTAIL, ...bad]);
    t.is(out.code, 2, bad.join(' '));
    t.regex(out.stderr, /Try logtail --help/);
  }
});

test('logtool offline (dump, verify, repair): a missing log or directory exits 1 (not found), not 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logtool-missing-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const dump = await logtool(['dump', dir, 'nosuch']);
  t.is(dump.code, 1);
  t.is(dump.stderr, `logtool dump: no log nosuch in ${dir}\n`);
  const verify = await logtool(['verify', join(dir, 'nosuch')]);
  t.is(verify.code, 1);
  t.regex(verify.stderr, /no such directory/);
  const repair = await logtool(['repair', dir, 'nosuch']);
  t.is(repair.code, 1);
  t.is(repair.stderr, `logtool repair: no log nosuch in ${dir}\n`);
  t.is((await logtool(['dump', dir])).code, 2, 'a missing argument is still a usage error');
});
