// Regression (found by the fuzzer): concurrent REFUSE/ACCEPT each saved the failover roles through
// the same temporary file at once; renames failed (ERR internal) and the file could end up with
// an older state than the one acknowledged. Saves are now one at a time, each of the newest state.
import test from 'ava';
import { startServer } from '../_server.ts';
import { Wire } from '../_wire.ts';

test('REFUSE and ACCEPT racing on many connections: every one OK, and the last acknowledged state survives a SIGKILL', async (t) => {
  t.timeout(60_000);
  const server = await startServer();
  t.teardown(() => server.stop());
  const wires = await Promise.all(Array.from({ length: 4 }, () => Wire.open(server.port)));
  for (const wire of wires) wire.send('REFUSE test\nACCEPT test\n'.repeat(50));
  for (const wire of wires) for (let i = 0; i < 100; i++) t.is(await wire.line(), 'OK');
  t.is(await wires[0]!.command('REFUSE test'), 'OK');
  for (const w of wires) w.close();
  t.false(/ error: /.test(server.stderr()), server.stderr());
  await server.kill();

  const again = await startServer({ dir: server.dir });
  t.teardown(() => again.stop());
  const wire = await Wire.open(again.port);
  t.is(await wire.command('MSG test x'), 'ERR readonly test is refused on this node (failover)');
  wire.close();
});
