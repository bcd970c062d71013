import { arity, withClient, EXIT_OK, NETWORK_HELP, type Subcommand } from '../cli.ts';

export const logs: Subcommand = {
  summary: 'list the logs the server owns or holds',
  usage: `logs

One line per log: name, role (owner or replica), first retained id, head, then the server's
key=value extras.
${NETWORK_HELP}`,
  network: true,
  options: {},
  async run(positionals, values) {
    arity(positionals, 0, 0);
    const list = await withClient(values, (client) => client.logs());
    for (const l of list) {
      const extras = Object.entries(l.attrs)
        .map(([k, v]) => ` ${k}=${v}`)
        .join('');
      console.log(`${l.name} ${l.role} ${l.first} ${l.head}${extras}`);
    }
    return EXIT_OK;
  },
};
