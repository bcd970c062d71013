// LOGS and STATS: what this node holds and how it is doing. The reply texts are also the
// read-only view the status port (src/http) translates into metrics and its page. Both name every
// log with its head, which only a recovered log knows: in the first moments after a start, while
// logs still wait for their recovery (store.ts), LOGS and STATS wait for the background pass to
// finish (the status port shows the logs recovered so far).
import { END, logLine, statLine } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import { errorReply } from '../failure.ts';
import type { Session } from '../session.ts';

/** Replies with build() now, or once every log is recovered. */
function whenRecovered(ctx: LoopContext, session: Session, build: () => string): void {
  if (ctx.store.pending === 0) return session.reply(build());
  const slot = session.defer();
  ctx.store.allRecovered().then(
    () => slot.send(build()),
    (err: unknown) => slot.send(errorReply(ctx, err)),
  );
}

export function handleLogs(ctx: LoopContext, session: Session): void {
  whenRecovered(ctx, session, () => logsReply(ctx));
}

/** The LOGS reply, END included (logs not recovered yet are left out). */
export function logsReply(ctx: LoopContext): string {
  let reply = '';
  for (const name of ctx.store.names()) {
    const log = ctx.store.loaded(name);
    if (!log) continue; // not recovered yet (see above), or damaged (not served)
    reply += logLine(name, ctx.logs.role(name) ?? 'replica', log.first(), log.head(), replicationExtras(ctx, name, log.head()));
  }
  return reply + END;
}

/** A replica's source, state and lag; failover state; each follower's acknowledged id. */
function replicationExtras(ctx: LoopContext, name: string, head: number): Record<string, string | number> {
  const extras: Record<string, string | number> = {};
  const replica = ctx.replication.replicas.get(name);
  if (replica) {
    extras.source = replica.source || '-';
    extras.state = replica.state;
    // Only from a head the source told (HB, frames or its LOGS): `?` while none is known.
    extras.lag = replica.sourceHead === null ? '?' : Math.max(0, replica.sourceHead - head);
  }
  const failover = ctx.logs.failover(name);
  if (failover) extras.failover = failover;
  for (const [node, id] of ctx.replication.acks(name)) extras['ack.' + node] = id;
  return extras;
}

export function handleStats(ctx: LoopContext, session: Session): void {
  whenRecovered(ctx, session, () => statsReply(ctx));
}

/** The STATS reply, END included. */
export function statsReply(ctx: LoopContext): string {
  const s = ctx.stats;
  let reply =
    statLine('uptime_ms', Date.now() - s.startedAt) +
    statLine('connections', ctx.connections()) +
    statLine('streams', s.streams) +
    statLine('connections_total', s.connectionsTotal) +
    statLine('records_in', s.recordsIn) +
    statLine('bytes_in', s.bytesIn) +
    statLine('records_out', s.recordsOut) +
    statLine('bytes_out', s.bytesOut) +
    statLine('fsyncs', ctx.store.fsyncs) +
    statLine('auth_failures', s.authFailures) +
    statLine('slow_consumers', s.slowConsumers) +
    statLine('tls_failures', s.tlsFailures);
  for (const [verb, n] of s.commands) reply += statLine('cmd.' + verb.toLowerCase(), n);
  for (const [code, n] of s.errors) reply += statLine('err.' + code, n);
  for (const name of ctx.store.names()) reply += statLine('head.' + name, ctx.store.loaded(name)?.head() ?? 0);
  return reply + replicationStats(ctx) + END;
}

function replicationStats(ctx: LoopContext): string {
  const r = ctx.replication;
  let lines = '';
  let maxLag = 0;
  let unknown = 0;
  for (const [name, replica] of r.replicas) {
    if (replica.sourceHead === null) {
      unknown++;
      continue;
    }
    const lag = Math.max(0, replica.sourceHead - ctx.logs.head(name));
    maxLag = Math.max(maxLag, lag);
    lines += statLine('lag.' + name, lag);
  }
  for (const [name, peer] of r.peers) if (peer.up !== null) lines += statLine('peer_up.' + name, peer.up ? 1 : 0);
  return (
    statLine('repl_records_in', r.recordsIn) +
    statLine('repl_bytes_in', r.bytesIn) +
    statLine('repl_bytes_out', r.bytesOut) +
    statLine('repl_reconnects', r.reconnects) +
    statLine('repl_lag', maxLag) +
    statLine('repl_lag_unknown', unknown) +
    statLine('bad_acks', r.badAcks) +
    lines
  );
}
