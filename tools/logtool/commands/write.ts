import { arity, integer, name, withClient, EXIT_OK, NETWORK_HELP, TimeoutError, type Subcommand } from '../cli.ts';
import type { Client } from '../../../src/client/index.ts';
import { appendAll } from '../append-all.ts';
import { lengthPrefixed, lines, whole } from '../records-in.ts';

export const write: Subcommand = {
  summary: 'append records: the text arguments, or stdin one record per line',
  usage: `write <log> [text...] [--binary] [--length-prefixed] [--replicas N [--timeout MS]]

With text arguments, appends them joined by spaces as one record. Without, reads stdin:
one record per line (the LF is not part of it), sent in APPEND batches. Prints the id of the
last record written.
  --binary            stdin is one binary record, whatever it holds
  --length-prefixed   stdin is binary records, each a 4-byte big-endian length then its bytes
  --replicas N        then wait (WAIT, on the log's writer) until N other participants have
                      stored the last record; exit 1 if fewer had within --timeout MS
                      (default: wait as long as it takes)
${NETWORK_HELP}`,
  network: true,
  options: {
    binary: { type: 'boolean' },
    'length-prefixed': { type: 'boolean' },
    replicas: { type: 'string' },
    timeout: { type: 'string' },
  },
  async run(positionals, values) {
    arity(positionals, 1, Infinity);
    const log = name(positionals[0], 'log name');
    const text = positionals.slice(1).join(' ');
    const replicas = values.replicas === undefined ? 0 : integer(values.replicas, '--replicas');
    const timeoutMs = values.timeout === undefined ? 0 : integer(values.timeout, '--timeout');
    await withClient(values, async (client) => {
      if (positionals.length > 1) {
        // APPEND rather than MSG: the text may hold line breaks.
        const { last } = await client.append(log, [text]);
        console.log(last);
        return awaitReplicas(client, log, last, replicas, timeoutMs);
      }
      const split = values['length-prefixed'] ? lengthPrefixed : values.binary ? whole : lines;
      const { count, last } = await appendAll(client, log, split(process.stdin));
      if (count === 0) return;
      console.log(last);
      return awaitReplicas(client, log, last, replicas, timeoutMs);
    });
    return EXIT_OK;
  },
};

/** --replicas: the last record (and so every earlier one) on that many other participants. */
async function awaitReplicas(client: Client, log: string, id: number, replicas: number, timeoutMs: number): Promise<void> {
  if (replicas === 0) return;
  const k = await client.wait(log, id, replicas, timeoutMs);
  if (k < replicas) throw new TimeoutError(`timed out: ${log} ${id} is stored on ${k} of the ${replicas} replicas wanted after ${timeoutMs} ms`);
}
