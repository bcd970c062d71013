import { arity, withClient, EXIT_OK, NETWORK_HELP, type Subcommand } from '../cli.ts';

export const stats: Subcommand = {
  summary: "print the server's figures",
  usage: `stats

One "name value" line per figure (STATS).
${NETWORK_HELP}`,
  network: true,
  options: {},
  async run(positionals, values) {
    arity(positionals, 0, 0);
    const figures = await withClient(values, (client) => client.stats());
    for (const [k, v] of Object.entries(figures)) console.log(`${k} ${v}`);
    return EXIT_OK;
  },
};
