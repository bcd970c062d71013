// The README's session, typed verbatim through nc into a node started as `make run` starts it
// (--id alice, a fresh data directory): every reply on the screen as the README shows it, but
// for what depends on the clock: the records' timestamps, and the id SEEK finds for a time.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from '../../src/client/index.ts';
import { startServer } from '../_server.ts';

const SCREEN_MS = 10_000;
const VERBS = /^(PING|MSG|APPEND|HEAD|READ|STOP|SUBSCRIBE|UNSUBSCRIBE|LOGS|STATS|CHECKPOINT|CONSUMERS|SEEK|TRIM|WAIT|REFUSE|ACCEPT|AUTH|HELLO|CLOSE|SHUTDOWN) /;

interface Step {
  /** What the person types (lines), or what another client does (`(waits; another client sends MSG alice later)`). */
  typed: string[];
  aside: string | null;
  /** The lines the README shows after it. */
  shows: string[];
}

/** The session block of README.md, cut into steps. */
function readmeSession(): Step[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /## A session\n[\s\S]*?```\n([\s\S]*?)```/.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md has no session block under "## A session"');
  const steps: Step[] = [];
  const lines = block.trimEnd().split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('$ nc ')) continue;
    if (line.trim().startsWith('(')) {
      steps.push({ typed: [], aside: line.trim(), shows: [] });
    } else if (VERBS.test(line + ' ')) {
      const typed = [line];
      if (line.startsWith('APPEND ')) typed.push(...lines.slice(i + 1, i + line.split(' ').length - 1));
      i += typed.length - 1;
      steps.push({ typed, aside: null, shows: [] });
    } else {
      const step = steps.at(-1);
      if (step === undefined) throw new Error(`README session: "${line}" shown before anything was typed`);
      step.shows.push(line);
    }
  }
  return steps;
}

/** The screen lines as the README shows them, with any 13-digit timestamp of a REC line, and after SEEK any id. */
function pattern(typed: string[], shows: string[]): RegExp {
  const escaped = shows.map((l) => l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/^REC (\d+) \d{13} /, 'REC $1 \\d{13} '));
  if (typed[0]?.startsWith('SEEK ') && escaped[0] !== undefined) escaped[0] = escaped[0].replace(/^OK \d+$/, 'OK \\d+');
  return new RegExp(`^${escaped.map((l) => `${l}\r\n`).join('')}$`);
}

test('the README session works verbatim against a node started as make run does', async (t) => {
  if (spawnSync('sh', ['-c', 'command -v nc']).status !== 0) return t.fail('nc is not installed: install netcat-openbsd (.ci/run does)');
  const makefile = readFileSync(new URL('../../Makefile', import.meta.url), 'utf8');
  t.regex(makefile, /^ID \?= alice$/m, 'make run starts alice');
  const steps = readmeSession();
  t.true(steps.length >= 10, 'the session was found');

  const server = await startServer({ id: 'alice' });
  t.teardown(() => server.stop());
  const nc = spawn('nc', ['-N', server.host, String(server.port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => nc.kill());
  let screen = '';
  nc.stdout.setEncoding('latin1').on('data', (d: string) => (screen += d));
  const other = await connect({ host: server.host, port: server.port });
  t.teardown(() => other.destroy());

  let from = 0;
  for (const step of steps) {
    if (step.aside) {
      const sent = /sends (MSG \S+ .+)\)$/.exec(step.aside);
      t.truthy(sent, `an aside the test knows: ${step.aside}`);
      const [, log = '', text = ''] = /^MSG (\S+) (.+)$/.exec(sent?.[1] ?? '') ?? [];
      await other.msg(log, text);
    } else {
      from = screen.length;
      nc.stdin.write(step.typed.map((l) => `${l}\n`).join(''));
    }
    const want = pattern(step.typed, step.shows);
    const deadline = Date.now() + SCREEN_MS;
    while (!want.test(screen.slice(from)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    t.regex(screen.slice(from), want, `after ${step.aside ?? JSON.stringify(step.typed)}`);
    if (step.aside) from = screen.length;
  }
});
