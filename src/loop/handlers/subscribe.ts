// SUBSCRIBE / UNSUBSCRIBE: pushed `HEAD <log> <id>` lines, coalesced per log by the session.
import { OK, headPush } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import type { Session } from '../session.ts';

export function handleSubscribe(ctx: LoopContext, session: Session, logs: string[]): void {
  for (const log of logs) ctx.logs.forRead(log); // all or nothing: any unknown log fails the command
  let reply = OK;
  for (const log of logs) {
    if (!session.subscriptions.has(log)) {
      const cancel = ctx.logs.onHead(log, (head) => session.push(log, headPush(log, head)));
      session.subscriptions.set(log, cancel);
    }
    reply += headPush(log, ctx.logs.head(log));
  }
  session.reply(reply);
}

export function handleUnsubscribe(session: Session, logs: string[]): void {
  for (const log of logs.length ? logs : [...session.subscriptions.keys()]) {
    session.subscriptions.get(log)?.();
    session.subscriptions.delete(log);
  }
  session.reply(OK);
}
