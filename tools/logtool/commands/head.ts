import { arity, name, withClient, EXIT_OK, NETWORK_HELP, type Subcommand } from '../cli.ts';

export const head: Subcommand = {
  summary: "print a log's last id (0 when empty)",
  usage: `head <log>

Prints the id of the log's last record, 0 when it has none. Exit 1 when the server does not
hold the log.
${NETWORK_HELP}`,
  network: true,
  options: {},
  async run(positionals, values) {
    arity(positionals, 1, 1);
    const log = name(positionals[0], 'log name');
    console.log(await withClient(values, (client) => client.head(log)));
    return EXIT_OK;
  },
};
