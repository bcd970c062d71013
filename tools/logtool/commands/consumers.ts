import { arity, name, withClient, EXIT_OK, NETWORK_HELP, type Subcommand } from '../cli.ts';

export const consumers: Subcommand = {
  summary: 'list the consumers with a stored checkpoint, and their lag',
  usage: `consumers [log]

One line per consumer and log (of one log when named): name, log, checkpoint (the last id it
processed), lag (head - checkpoint: the records it has not processed yet).
${NETWORK_HELP}`,
  network: true,
  options: {},
  async run(positionals, values) {
    arity(positionals, 0, 1);
    const log = positionals[0] === undefined ? undefined : name(positionals[0], 'log name');
    const list = await withClient(values, (client) => client.consumers(log));
    for (const c of list) console.log(`${c.name} ${c.log} ${c.checkpoint} ${c.lag}`);
    return EXIT_OK;
  },
};
