// logtool refuse / accept: the two failover steps (README.md, "Moving a log's writer").
import { arity, name, withClient, EXIT_OK, NETWORK_HELP, type Subcommand, type Values } from '../cli.ts';

export const refuse: Subcommand = {
  summary: 'stop this node taking writes for a log (failover)',
  usage: `refuse <log>

Sends REFUSE: the node stops taking writes for the log (writers get ERR readonly), durably,
across restarts. Prints the log's head once refused: the id the new writer must reach first.
${NETWORK_HELP}`,
  network: true,
  options: {},
  run: (positionals, values) => failover('refuse', positionals, values),
};

export const accept: Subcommand = {
  summary: "make this node a log's writer (failover)",
  usage: `accept <log>

Sends ACCEPT: the node takes writes for the log, from its head + 1 (a replica's follower
stops first), durably, across restarts. Undoes refuse. Prints the log's head once accepted.
${NETWORK_HELP}`,
  network: true,
  options: {},
  run: (positionals, values) => failover('accept', positionals, values),
};

async function failover(verb: 'refuse' | 'accept', positionals: string[], values: Values): Promise<number> {
  arity(positionals, 1, 1);
  const log = name(positionals[0], 'log name');
  const head = await withClient(values, async (client) => {
    await client[verb](log);
    return client.head(log);
  });
  console.log(head);
  return EXIT_OK;
}
