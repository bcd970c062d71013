// The node id exchange every connection to a peer starts with: `HELLO <own id>`, answered with
// `HELLO <its id>`. A participants-file line for another name at this node's own address
// (`localhost` where the node listens on `127.0.0.1`, a second name for the same machine) would
// otherwise make the node follow itself and show `live lag=0` while behind; the answer tells.
// Another id than the line's name is fine: after a failover a name points at its new writer.

export function helloCommand(nodeId: string): string {
  return `HELLO ${nodeId}\n`;
}

/** The id in a `HELLO <id>` reply line, or null if the line is not one. */
export function helloId(line: string): string | null {
  const words = line.split(' ');
  return words.length === 2 && words[0] === 'HELLO' && words[1] ? words[1] : null;
}

/** Why a peer at this address is not followed: it is this node itself. */
export function selfReason(name: string, host: string, port: number, nodeId: string): string {
  return `${name} at ${host}:${port} is this node itself (it answers HELLO as ${nodeId}): not followed; fix the participants file`;
}
