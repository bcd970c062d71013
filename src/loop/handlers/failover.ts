// REFUSE <log> / ACCEPT <log>: move the writer of a log (failover). REFUSE makes this node stop
// taking writes for a log it writes; ACCEPT makes it the writer of a log it holds a replica of,
// from its head + 1 (its follower for that log stops first), or undoes a REFUSE. Both are
// durable before the OK. The procedure, with the participants file edit, is in README.md.
import { OK } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import { errorReply } from '../failure.ts';
import type { Session } from '../session.ts';

export function handleRefuse(ctx: LoopContext, session: Session, log: string): void {
  ctx.logs.forRead(log);
  const change = ctx.logs.writable(log) ? `refuses writes for ${log} from now on (head ${ctx.logs.head(log)})` : null;
  settle(ctx, session, change, ctx.logs.refuse(log));
}

export function handleAccept(ctx: LoopContext, session: Session, log: string): void {
  ctx.logs.forRead(log);
  const change = ctx.logs.writable(log) ? null : `accepts writes for ${log} from id ${ctx.logs.head(log) + 1}`;
  settle(ctx, session, change, ctx.logs.accept(log));
}

function settle(ctx: LoopContext, session: Session, change: string | null, done: Promise<void>): void {
  const slot = session.defer();
  done.then(
    () => {
      if (change) ctx.logger(`failover: this node ${change}`);
      slot.send(OK);
    },
    (err: unknown) => slot.send(errorReply(ctx, err)),
  );
}
