// What the status port reads: the node's STATS and LOGS replies, the same read-only view a
// client gets over the protocol, parsed. So /metrics and the page can never disagree with
// STATS, and a figure added to STATS shows up on the status port with no more code.
import { parseLogLine } from '../../protocol/replies.ts';
import type { PeerStatus } from '../replication/state.ts';

/** The node as the status port sees it; nothing here changes log state. */
export interface NodeView {
  readonly id: string;
  /** The protocol address, HOST:PORT. */
  readonly listen: string;
  statsReply(): string;
  logsReply(): string;
  /** The other participants of the peers file. */
  peers(): ReadonlyMap<string, PeerStatus>;
}

export interface LogStatus {
  name: string;
  role: string;
  first: number;
  head: number;
  /** The LOGS extras (state, source, lag, ack.<node>, failover, ...) as sent. */
  extras: Record<string, string>;
}

export interface Snapshot {
  /** STAT name -> value as sent. */
  stats: Map<string, string>;
  logs: LogStatus[];
}

/** Both replies, taken in the same turn of the event loop: one consistent moment. */
export function snapshot(view: NodeView): Snapshot {
  const stats = new Map<string, string>();
  for (const line of replyLines(view.statsReply())) {
    const [word, name, value] = line.split(' ');
    if (word === 'STAT' && value !== undefined) stats.set(name!, value);
  }
  const logs: LogStatus[] = [];
  for (const line of replyLines(view.logsReply())) {
    if (!line.startsWith('LOG ')) continue;
    const { name, role, first, head, extras } = parseLogLine(line);
    logs.push({ name, role, first: Number(first), head: Number(head), extras });
  }
  return { stats, logs };
}

/** A figure as a number; null when unknown (e.g. `lag=?`) or absent. */
export function figure(text: string | undefined): number | null {
  if (text === undefined || !/^-?\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

function replyLines(reply: string): string[] {
  return reply.split('\r\n').filter((line) => line !== '' && line !== 'END');
}
