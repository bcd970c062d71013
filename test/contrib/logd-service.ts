// contrib/logd.service: the flags of its ExecStart are ones logd accepts, with valid values.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { HELP, parseOptions, type ServerOptions } from '../../src/options.ts';

const UNIT = readFileSync(new URL('../../contrib/logd.service', import.meta.url), 'utf8');

/** The unit's settings, `\`-continued lines joined, comments dropped. */
function settings(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of UNIT.replace(/\\\n/g, ' ').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

test('every ExecStart flag is one logd accepts, with a valid value', (t) => {
  const [execStart = ''] = settings().get('ExecStart') ?? [];
  const [binary = '', ...args] = execStart.trim().split(/\s+/);
  t.regex(binary, /\/logd$/);
  // systemd expands ${CREDENTIALS_DIRECTORY} (LoadCredential) before logd sees it.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: systemd's ${CREDENTIALS_DIRECTORY}, literally as the unit file has it
  const expanded = args.map((a) => a.replace('${CREDENTIALS_DIRECTORY}', '/run/credentials/logd.service'));
  t.false(
    expanded.some((a) => a.includes('$') || a.includes('%')),
    'no other expansion logd would see unexpanded',
  );
  const parsed = parseOptions(expanded);
  t.is(typeof parsed, 'object', 'options, not --help or --version');
  const options = parsed as ServerOptions;
  for (const flag of expanded.filter((a) => a.startsWith('--'))) t.regex(HELP, new RegExp(`\\n  ${flag}[ \\n]`), `${flag} is documented in --help`);
  t.is(options.data, '/var/lib/logd');
  t.is(options.tokenFile, '/run/credentials/logd.service/token');
  t.deepEqual(options.http, { host: '127.0.0.1', port: 8774 }, 'the unauthenticated status port stays on loopback');
});

test('the unit wires the credential, the state directory and a graceful stop', (t) => {
  const s = settings();
  t.deepEqual(s.get('LoadCredential'), ['token:/etc/logd/token']);
  t.deepEqual(s.get('StateDirectory'), ['logd']);
  t.deepEqual(s.get('KillSignal'), ['SIGTERM']);
  t.deepEqual(s.get('RestartPreventExitStatus'), ['2']);
});
