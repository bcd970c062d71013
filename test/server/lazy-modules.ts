// What a node loads at start is memory it keeps (RSS at rest): the Node built-ins only some nodes
// use (TLS, the status port) are loaded when a flag asks for them, not by every node.
import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';

// Prints the built-in modules the process loaded when it exits (main.ts exits after a SIGTERM stop).
const PROBE = `data:text/javascript,process.on('exit', () => process.stderr.write('BUILTINS ' + process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join(' ') + '\\n'))`;

async function builtinsLoaded(args: string[]): Promise<Set<string>> {
  const server = await startServer({ nodeArgs: ['--import', PROBE], args });
  // A command answered first: the node has its SIGTERM handler then (a SIGTERM right after the
  // listening line can come before it, and end the process without the exit event).
  const wire = await Wire.open(server.port);
  const pong = await wire.command('PING');
  wire.close();
  if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
  // 'close': stderr read to its end (the probe writes at exit).
  const closed = new Promise((resolve) => server.proc.on('close', resolve));
  await server.stop();
  await closed;
  const line = /^BUILTINS (.*)$/m.exec(server.stderr());
  if (!line) throw new Error(`no BUILTINS line in:\n${server.stderr()}`);
  return new Set((line[1] ?? '').split(' '));
}

test('a node without --http or TLS flags loads neither node:http nor node:tls', async (t) => {
  const loaded = await builtinsLoaded([]);
  t.true(loaded.has('net'), 'the probe sees the modules the node uses');
  t.false(loaded.has('tls'));
  t.false(loaded.has('_http_server'));
});

test('--http loads node:http when the status port starts', async (t) => {
  const loaded = await builtinsLoaded(['--http', '127.0.0.1:0']);
  t.true(loaded.has('_http_server'));
  t.false(loaded.has('tls'));
});
