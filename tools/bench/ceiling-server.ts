// The ceiling row of `make bench`: a bare node:net line server that does what logd's front does
// for a MSG (find each line, check its command word, count it) and answers `OK <n>`, with no
// storage, batching every reply of one incoming chunk into one write. Driven by the same load
// generator as logd's (1), it shows how much of a MSG's cost is logd's own.
//
//   node --import tsx tools/bench/ceiling-server.ts [--listen 127.0.0.1:0]   (prints "listening on HOST:PORT")
import { createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { parseHostPort } from '../../src/arguments.ts';

const LF = 10;
const MSG = Buffer.from('MSG ');

function serve(socket: Socket): void {
  let ids = 0;
  let partial: Buffer | null = null;
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    const buf = partial ? Buffer.concat([partial, chunk]) : chunk;
    let out = '';
    let pos = 0;
    for (let lf = buf.indexOf(LF, pos); lf >= 0; lf = buf.indexOf(LF, pos)) {
      out += buf.compare(MSG, 0, 4, pos, pos + 4) === 0 ? `OK ${++ids}\r\n` : 'ERR unknown command\r\n';
      pos = lf + 1;
    }
    partial = pos < buf.length ? buf.subarray(pos) : null;
    if (out) socket.write(out);
  });
  socket.on('error', () => socket.destroy());
}

const { values } = parseArgs({ options: { listen: { type: 'string', default: '127.0.0.1:0' } } });
const { host, port } = parseHostPort(values.listen, '--listen', 'listen');
const server = createServer(serve);
server.listen(port, host, () => {
  const address = server.address() as { address: string; port: number };
  process.stderr.write(`listening on ${address.address}:${address.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
