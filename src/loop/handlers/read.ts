// READ <log> <start>|$|@<consumer> [<limit>] [NOWAIT|WAIT <ms>], HEAD <log> and SEEK <log> <time>.
import { okId } from '../../../protocol/replies.ts';
import type { Command } from '../../../protocol/commands.ts';
import type { LoopContext } from '../context.ts';
import { errorReply } from '../failure.ts';
import { RecordStream } from '../record-stream.ts';
import type { Session } from '../session.ts';

type Read = Extract<Command, { verb: 'READ' }>;

export function handleRead(ctx: LoopContext, session: Session, cmd: Read): void {
  ctx.logs.forRead(cmd.log);
  const stats = ctx.stats;
  const sent = (records: number, bytes: number): void => {
    stats.recordsOut += records;
    stats.bytesOut += bytes;
  };
  session.stream(new RecordStream(ctx, cmd.log, cmd.start, cmd.limit, cmd.nowait, sent, cmd.waitMs ?? -1));
}

export function handleHead(ctx: LoopContext, session: Session, log: string): void {
  ctx.logs.forRead(log);
  session.reply(okId(ctx.logs.head(log)));
}

/** `OK <id>`: the first record at or after `time`, head + 1 when none (1 for a log with no record yet). */
export function handleSeek(ctx: LoopContext, session: Session, name: string, time: number): void {
  const log = ctx.logs.forRead(name);
  if (!log) return session.reply(okId(1));
  const slot = session.defer();
  log.seek(time).then(
    (id) => slot.send(okId(id)),
    (err: unknown) => slot.send(errorReply(ctx, err)),
  );
}
