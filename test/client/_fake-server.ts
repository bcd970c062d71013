// A scripted server for client tests: what a real server never does (bad CRCs, garbage, lost replies).
import { createServer, type Server, type Socket } from 'node:net';

/** A server that answers each received line with `reply(line)`. */
export async function fake(reply: (line: string, socket: Socket) => string | null): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let lf: number;
      while ((lf = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, lf);
        buf = buf.slice(lf + 1);
        const out = reply(line, socket);
        if (out !== null) socket.write(Buffer.from(out, 'latin1'));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => {
    server.close();
    for (const s of sockets) s.destroy();
  };
  return { port: (server.address() as { port: number }).port, close };
}
