import { arity, integer, name, withClient, EXIT_OK, NETWORK_HELP, type Subcommand } from '../cli.ts';

export const checkpoint: Subcommand = {
  summary: "print or store a consumer's position in a log",
  usage: `checkpoint <consumer> <log> [id] [--reset]

Without id, prints the consumer's stored position (the last id it processed; 0 if none).
With id, stores it durably and prints it: never past the head, and below the stored position
only with --reset (to replay).
${NETWORK_HELP}`,
  network: true,
  options: { reset: { type: 'boolean' } },
  async run(positionals, values) {
    arity(positionals, 2, 3);
    const consumer = name(positionals[0], 'consumer name');
    const log = name(positionals[1], 'log name');
    const id = positionals[2] === undefined ? undefined : integer(positionals[2], 'id');
    console.log(await withClient(values, (client) => client.checkpoint(consumer, log, id, { reset: values.reset === true })));
    return EXIT_OK;
  },
};
