// MSG and APPEND: append to an owned log; the reply carries the ids once the records are durable.
// `expect` > 0: a conditional append (`<log>@<next-id>`), refused with `conflict` unless the log's
// next id is `expect` when storage takes it.
import type { RecordPayload } from '../../../protocol/pieces.ts';
import type { LoopContext } from '../context.ts';
import { errorReply } from '../failure.ts';
import type { Session } from '../session.ts';

export function handleWrite(ctx: LoopContext, session: Session, name: string, payloads: RecordPayload | Buffer[], expect = 0): void {
  const log = ctx.logs.forWrite(name);
  if (log instanceof Promise) {
    const slot = session.defer();
    log.then(
      (created) => ctx.appender.add(created, payloads, session, slot, expect),
      (err: unknown) => slot.send(errorReply(ctx, err)),
    );
  } else {
    ctx.appender.add(log, payloads, session, null, expect);
  }
}
