import { arity, name, withClient, EXIT_OK, NETWORK_HELP, type Subcommand } from '../cli.ts';
import { appendAll } from '../append-all.ts';
import { lengthPrefixed, lines, whole } from '../records-in.ts';

export const write: Subcommand = {
  summary: 'append records: the text arguments, or stdin one record per line',
  usage: `write <log> [text...] [--binary] [--length-prefixed]

With text arguments, appends them joined by spaces as one record. Without, reads stdin:
one record per line (the LF is not part of it), sent in APPEND batches. Prints the id of the
last record written.
  --binary            stdin is one binary record, whatever it holds
  --length-prefixed   stdin is binary records, each a 4-byte big-endian length then its bytes
${NETWORK_HELP}`,
  network: true,
  options: {
    binary: { type: 'boolean' },
    'length-prefixed': { type: 'boolean' },
  },
  async run(positionals, values) {
    arity(positionals, 1, Infinity);
    const log = name(positionals[0], 'log name');
    const text = positionals.slice(1).join(' ');
    await withClient(values, async (client) => {
      if (positionals.length > 1) {
        // APPEND rather than MSG: the text may hold line breaks.
        console.log((await client.append(log, [text])).last);
        return;
      }
      const split = values['length-prefixed'] ? lengthPrefixed : values.binary ? whole : lines;
      const { count, last } = await appendAll(client, log, split(process.stdin));
      if (count > 0) console.log(last);
    });
    return EXIT_OK;
  },
};
