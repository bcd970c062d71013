// A consumer process for the kill-and-restart test: prints each id once processed, slowly.
import { connect } from '../../src/client/index.ts';

const [host, port, name, log, commitEvery] = process.argv.slice(2);
if (commitEvery === undefined) throw new Error('usage: _consumer.ts <host> <port> <name> <log> <commit-every>');
const client = await connect({ host, port: Number(port) });
const consumer = client.consumer({ name: name!, log: log!, commitEvery: Number(commitEvery), commitIntervalMs: 3_600_000 });
for await (const record of consumer) {
  await new Promise((resolve) => setTimeout(resolve, 2));
  process.stdout.write(`${record.id}\n`);
}
