// Test helper: a scripted participant over TCP, to play a broken or hostile peer. It answers
// HELLO with its name, and LOGS and REPLICATE with what the script says; it records the
// REPLICATE lines it gets (with their arrival time).
import type { ExecutionContext } from 'ava';
import { createServer, type Socket } from 'node:net';
import { frameLength, payloadCrc, writeFrame } from '../../protocol/frame.ts';
import type { RunningServer } from '../_server.ts';
import { Cluster, freePort } from './_cluster.ts';

export interface FakeScript {
  /** The id it answers HELLO with. */
  name: string;
  /** LOGS: writes the reply (default: its own log with head 3). */
  logs?(socket: Socket): void;
  /** REPLICATE <log> <start> [...]: writes whatever it wants after the HELLO answer. */
  replicate(start: number, socket: Socket): void;
}

export interface FakeSource {
  port: number;
  requests: { line: string; at: number }[];
  close(): Promise<void>;
}

export async function fakeSource(script: FakeScript): Promise<FakeSource> {
  const port = await freePort();
  const requests: { line: string; at: number }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let lf: number;
      while ((lf = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, lf);
        buf = buf.slice(lf + 1);
        if (line.startsWith('HELLO ')) socket.write(`HELLO ${script.name}\r\n`);
        if (line === 'LOGS') {
          if (script.logs) script.logs(socket);
          else socket.write(`LOG ${script.name} owner 1 3\r\nEND\r\n`);
        }
        if (line.startsWith('REPLICATE ')) {
          requests.push({ line, at: Date.now() });
          script.replicate(Number(line.split(' ')[2]), socket);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const close = () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, requests, close };
}

/** One REC frame as a source sends it (timestamp 1700000000000 + id). */
export function frame(id: number, text: string, crc = payloadCrc(Buffer.from(text))): Buffer {
  const payload = Buffer.from(text);
  const buf = Buffer.alloc(frameLength(id, 1700000000000 + id, payload.length));
  writeFrame(buf, 0, id, 1700000000000 + id, payload, crc);
  return buf;
}

/** Writes `chunk` again and again, as fast as the socket takes it, until it closes or `ms` pass. */
export function flood(socket: Socket, chunk: Buffer, ms: number): void {
  const until = Date.now() + ms;
  const more = () => {
    while (!socket.destroyed && Date.now() < until) {
      if (!socket.write(chunk)) return void socket.once('drain', more);
    }
  };
  more();
}

/**
 * bob, alone, with the fake sources as his other participants (name -> source): he follows their
 * logs. The sources and bob are stopped in t.teardown.
 */
export async function bobFollowing(t: ExecutionContext, sources: ReadonlyMap<string, FakeSource>): Promise<{ cluster: Cluster; bob: RunningServer }> {
  const cluster = await Cluster.create(['bob']);
  t.teardown(async () => {
    await Promise.all([...sources.values()].map((f) => f.close()));
    await cluster.stopAll();
  });
  cluster.writePeers('bob', [['bob', cluster.port('bob')], ...[...sources].map(([name, f]): [string, number] => [name, f.port])]);
  return { cluster, bob: await cluster.start('bob') };
}
