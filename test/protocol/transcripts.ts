// Replays every protocol/transcripts/*.txt over TCP against a fresh real server, byte for byte.
// Serial: each transcript starts its own server, and the machine is small and shared.
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../_server.ts';
import { RawConn, show } from './_conn.ts';
import { expectedLineFeeds, lineMatches, loadTranscripts, type Transcript } from './_transcript.ts';

const REPLY_MS = 5_000;
const EXIT_MS = 10_000;
const PONG = Buffer.from('PONG\r\n');

async function replay(t: ExecutionContext, tr: Transcript): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'logd-transcript-'));
  let server: RunningServer | null = null;
  const conns = new Map<number, RawConn>();
  try {
    for (const f of tr.files) writeFileSync(join(tmp, f.name), f.content);
    server = await startServer({ id: tr.id, args: tr.args.map((a) => a.replaceAll('{tmp}', tmp)) });
    const port = server.port;
    const conn = async (n: number): Promise<RawConn> => {
      let c = conns.get(n);
      if (!c) conns.set(n, (c = await RawConn.open(port)));
      return c;
    };
    let checked = 0;
    for (const step of tr.steps) {
      const where = `${tr.name}.txt:${step.line}`;
      switch (step.kind) {
        case 'send':
          (await conn(step.conn)).send(step.bytes);
          break;
        case 'expect': {
          const got = await (await conn(step.conn)).through(expectedLineFeeds(step.text), REPLY_MS).catch(failAt(where));
          if (!lineMatches(step.text, got)) throw new Error(`${where}: expected ${JSON.stringify(step.text)}, got ${show(got)}`);
          break;
        }
        case 'skipTo': {
          const c = await conn(step.conn);
          for (;;) {
            const got = await c.through(1, REPLY_MS).catch(failAt(`${where} (looking for ${JSON.stringify(step.text)})`));
            if (lineMatches(step.text, got)) break;
          }
          break;
        }
        case 'closed': {
          const unread = await (await conn(step.conn)).closed(REPLY_MS).catch(failAt(where));
          if (unread.length > 0) throw new Error(`${where}: unexpected bytes before the close: ${show(unread)}`);
          break;
        }
        case 'close':
          (await conn(step.conn)).destroy();
          break;
        case 'exited': {
          const code = await Promise.race([server.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), EXIT_MS))]);
          if (code !== 0) throw new Error(`${where}: the server did not exit with 0: ${String(code)}\n${server.stderr()}`);
          break;
        }
      }
      checked++;
    }
    // Nothing unexpected may be left: on every connection still open, the next reply is PONG.
    if (server.proc.exitCode === null) {
      for (const [n, c] of conns) {
        if (c.isClosed) continue;
        c.send(Buffer.from('PING\n'));
        const got = await c.through(1, REPLY_MS).catch(failAt(`${tr.name}.txt end, connection ${n}`));
        if (!got.equals(PONG)) throw new Error(`${tr.name}.txt end, connection ${n}: unexpected ${show(got)}`);
      }
    }
    t.is(checked, tr.steps.length);
  } finally {
    for (const c of conns.values()) c.destroy();
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function failAt(where: string): (err: Error) => never {
  return (err) => {
    throw new Error(`${where}: ${err.message}`);
  };
}

for (const tr of loadTranscripts()) {
  if (tr.needs === null) test.serial(`transcript ${tr.name}`, (t) => replay(t, tr));
  // Written ahead of the issue that makes it pass: a known failure until then, and ava reports
  // it the day it passes, so the marker is removed.
  else test.serial.failing(`transcript ${tr.name} (needs ${tr.needs})`, (t) => replay(t, tr));
}
