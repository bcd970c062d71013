// Test helper: a small reference model of one connection's rules (protocol/PROTOCOL.md section 2,
// "When a command runs", READ, STOP, CLOSE), for one client that is the only writer of its log.
// Given the commands a client sends, then its EOF (unless it sent CLOSE), it says which replies
// come back, in order. Where the rules leave timing free (a READ that a later STOP or CLOSE may
// cut while it streams), the expectation is a range of record counts, not one number.

export type ModelCommand =
  | { verb: 'PING' }
  | { verb: 'MSG'; text: string }
  | { verb: 'APPEND'; bodies: Buffer[] }
  | { verb: 'HEAD' }
  | { verb: 'READ'; start: number | '$'; limit: number; nowait: boolean }
  | { verb: 'SUBSCRIBE' }
  | { verb: 'STOP' }
  | { verb: 'CLOSE' };

/** One reply: exact lines, or a READ's records (ids from `start`, between min and max of them) and its END. */
export type Expected = { kind: 'lines'; lines: string[]; command: string } | { kind: 'read'; start: number; min: number; max: number; command: string };

export function wire(cmd: ModelCommand, log: string): Buffer {
  switch (cmd.verb) {
    case 'MSG':
      return Buffer.from(`MSG ${log} ${cmd.text}\n`);
    case 'APPEND':
      return Buffer.concat([Buffer.from(`APPEND ${log} ${cmd.bodies.map((b) => b.length).join(' ')}\n`), ...cmd.bodies.flatMap((b) => [b, Buffer.from('\n')])]);
    case 'HEAD':
    case 'SUBSCRIBE':
      return Buffer.from(`${cmd.verb} ${log}\n`);
    case 'READ':
      return Buffer.from(`READ ${log} ${cmd.start}${cmd.limit ? ` ${cmd.limit}` : ''}${cmd.nowait ? ' NOWAIT' : ''}\n`);
    default:
      return Buffer.from(`${cmd.verb}\n`);
  }
}

/** The replies to `cmds` followed by the client's EOF (or up to CLOSE); the payloads stored, by id (index id-1). */
export function expectedReplies(cmds: readonly ModelCommand[], log: string): { replies: Expected[]; payloads: Buffer[] } {
  const payloads: Buffer[] = [];
  const replies: Expected[] = [];
  const closeAt = cmds.findIndex((c) => c.verb === 'CLOSE');
  const sent = closeAt < 0 ? cmds : cmds.slice(0, closeAt + 1);
  /** Index of the STOP or CLOSE that ends the streams sent before `i`; sent.length: the EOF does. */
  const terminatorAfter = (i: number): number => {
    const t = sent.findIndex((c, j) => j > i && (c.verb === 'STOP' || c.verb === 'CLOSE'));
    return t < 0 ? sent.length : t;
  };
  // A READ that cannot end by itself holds every later command until its terminator (index) arrives.
  let blockedUntil: number | null = null;
  for (let i = 0; i < sent.length; i++) {
    const cmd = sent[i]!;
    const text = wire(cmd, log).toString('latin1').split('\n')[0]!;
    if (blockedUntil !== null && i > blockedUntil) blockedUntil = null;
    const head = payloads.length;
    switch (cmd.verb) {
      case 'PING':
        replies.push({ kind: 'lines', lines: ['PONG'], command: text });
        break;
      case 'MSG':
        payloads.push(Buffer.from(cmd.text, 'latin1'));
        replies.push({ kind: 'lines', lines: [`OK ${head + 1}`], command: text });
        break;
      case 'APPEND':
        payloads.push(...cmd.bodies);
        replies.push({ kind: 'lines', lines: [`OK ${head + 1} ${head + cmd.bodies.length}`], command: text });
        break;
      case 'HEAD':
        replies.push({ kind: 'lines', lines: [`OK ${head}`], command: text });
        break;
      case 'SUBSCRIBE':
        replies.push({ kind: 'lines', lines: ['OK', `HEAD ${log} ${head}`], command: text });
        break;
      case 'STOP':
        replies.push({ kind: 'lines', lines: ['OK'], command: text });
        break;
      case 'CLOSE':
        replies.push({ kind: 'lines', lines: ['OK'], command: text });
        break;
      case 'READ': {
        const start = cmd.start === '$' ? head + 1 : cmd.start;
        const last = cmd.limit > 0 ? Math.min(head, start + cmd.limit - 1) : head;
        const available = Math.max(0, last - start + 1);
        const endsByItself = cmd.nowait || (cmd.limit > 0 && start + cmd.limit - 1 <= head);
        const terminator = terminatorAfter(i);
        if (blockedUntil !== null) {
          // Queued behind a READ that waits: it starts only once the terminator has arrived.
          const stopped = blockedUntil < sent.length;
          replies.push({ kind: 'read', start, min: stopped ? 0 : available, max: stopped ? 0 : available, command: text });
        } else {
          // A later STOP or CLOSE may arrive while it streams and cut it anywhere.
          replies.push({ kind: 'read', start, min: terminator < sent.length ? 0 : available, max: available, command: text });
          if (!endsByItself) blockedUntil = terminator;
        }
        break;
      }
    }
  }
  return { replies, payloads };
}
