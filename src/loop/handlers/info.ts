// LOGS and STATS: what this node holds and how it is doing.
import { END, logLine, statLine } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import type { Session } from '../session.ts';

export function handleLogs(ctx: LoopContext, session: Session): void {
  let reply = '';
  for (const name of ctx.store.names()) {
    const log = ctx.store.get(name)!;
    reply += logLine(name, ctx.logs.role(name) ?? 'replica', log.first(), log.head());
  }
  session.reply(reply + END);
}

export function handleStats(ctx: LoopContext, session: Session): void {
  const s = ctx.stats;
  let reply =
    statLine('uptime_ms', Date.now() - s.startedAt) +
    statLine('connections', ctx.connections()) +
    statLine('connections_total', s.connectionsTotal) +
    statLine('records_in', s.recordsIn) +
    statLine('bytes_in', s.bytesIn) +
    statLine('records_out', s.recordsOut) +
    statLine('bytes_out', s.bytesOut) +
    statLine('fsyncs', ctx.store.fsyncs);
  for (const [verb, n] of s.commands) reply += statLine('cmd.' + verb.toLowerCase(), n);
  for (const [code, n] of s.errors) reply += statLine('err.' + code, n);
  for (const name of ctx.store.names()) reply += statLine('head.' + name, ctx.store.get(name)!.head());
  session.reply(reply + END);
}
