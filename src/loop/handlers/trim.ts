// TRIM <log> <before-id>: drop whole chunks entirely below before-id on a log this node owns.
import { okId } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import { errorReply } from '../failure.ts';
import type { Session } from '../session.ts';

export function handleTrim(ctx: LoopContext, session: Session, name: string, before: number): void {
  const log = ctx.logs.forWrite(name);
  const slot = session.defer();
  Promise.resolve(log)
    .then((l) => l.trim(before))
    .then(
      (first) => slot.send(okId(first)),
      (err: unknown) => slot.send(errorReply(ctx, err)),
    );
}
