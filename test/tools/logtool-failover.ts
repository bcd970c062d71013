// logtool refuse / accept: the failover steps from the shell.
import test from 'ava';
import { connect, LogdError } from '../../src/client/index.ts';
import { startServer } from '../_server.ts';
import { logtool } from './_tools.ts';

test('refuse stops writes and prints the head; accept takes them again', async (t) => {
  const server = await startServer({ id: 'fo', args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const net = () => ['--host', server.host, '--port', String(server.port)];
  const client = await connect({ host: server.host, port: server.port });
  t.teardown(() => client.destroy());
  await client.append('fo', ['a', 'b', 'c']);

  const refused = await logtool(['refuse', 'fo', ...net()]);
  t.is(refused.code, 0, refused.stderr);
  t.is(refused.stdout, '3\n');
  const err = await t.throwsAsync(client.msg('fo', 'd'), { instanceOf: LogdError });
  t.is(err?.code, 'readonly');
  const write = await logtool(['write', 'fo', 'd', ...net()]);
  t.is(write.code, 1, 'a refused write is a server refusal: exit 1');

  const accepted = await logtool(['accept', 'fo', ...net()]);
  t.is(accepted.code, 0, accepted.stderr);
  t.is(accepted.stdout, '3\n');
  t.is(await client.msg('fo', 'd'), 4);
});

test('refuse and accept: usage and refusals', async (t) => {
  for (const verb of ['refuse', 'accept']) {
    const help = await logtool([verb, '--help']);
    t.is(help.code, 0);
    t.true(help.stdout.startsWith(`Usage: logtool ${verb} <log>`));
  }
  t.is((await logtool(['refuse'])).code, 2);
  t.is((await logtool(['accept', 'a', 'b'])).code, 2);
  const server = await startServer({ id: 'fo2', args: ['--fsync', 'none'] });
  t.teardown(() => server.stop());
  const nolog = await logtool(['accept', 'other', '--host', server.host, '--port', String(server.port)]);
  t.is(nolog.code, 1);
  t.regex(nolog.stderr, /nolog/);
});
