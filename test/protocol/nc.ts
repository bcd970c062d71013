// A person at a terminal: drives a real server through a real `nc` (netcat-openbsd), one line at
// a time, reading what comes back before typing the next line.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { crc32 } from 'node:zlib';
import { startServer } from '../_server.ts';

const SCREEN_MS = 10_000;
/** A REC frame of an ASCII text as a regex source (any 13-digit timestamp). */
const rec = (id: number, text: string): string =>
  `REC ${id} \\d{13} ${text.length} ${(crc32(Buffer.from(text)) >>> 0).toString(16).padStart(8, '0')}\r\n${text}\r\n`;

test('a person drives logd through nc: PING, MSG, READ, HEAD, an error, then PING still works', async (t) => {
  if (spawnSync('sh', ['-c', 'command -v nc']).status !== 0) return t.fail('nc is not installed: install netcat-openbsd (.ci/run does)');
  const server = await startServer();
  // -N: shut the socket down when stdin ends (the person presses Ctrl-D).
  const nc = spawn('nc', ['-N', server.host, String(server.port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => nc.on('exit', (code) => resolve(code)));
  let screen = '';
  nc.stdout.setEncoding('latin1').on('data', (d: string) => (screen += d));

  /** Types a line, then waits until what appears on the screen after it is exactly `shows`. */
  const type = async (line: string, shows: RegExp): Promise<void> => {
    const from = screen.length;
    nc.stdin.write(line + '\n');
    const deadline = Date.now() + SCREEN_MS;
    while (!shows.test(screen.slice(from)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    t.regex(screen.slice(from), shows, `after typing ${JSON.stringify(line)}`);
  };

  try {
    await type('PING', /^PONG\r\n$/);
    await type('MSG test hello from nc', /^OK 1\r\n$/);
    await type('MSG test  two  spaces', /^OK 2\r\n$/);
    await type('HEAD test', /^OK 2\r\n$/);
    await type('READ test 1 NOWAIT', new RegExp(`^${rec(1, 'hello from nc')}${rec(2, ' two  spaces')}END 3\r\n$`));
    await type('HEAD ../etc/passwd', /^ERR syntax bad log name "\.\.\/etc\/passwd"\r\n$/);
    await type('FROB', /^ERR unknown command "FROB"\r\n$/);
    await type('PING', /^PONG\r\n$/);
    await type('CLOSE', /^OK\r\n$/);
    nc.stdin.end();
    t.is(await exited, 0);
  } finally {
    nc.kill();
    await server.stop();
  }
});
