// WAIT <log> <id> <replicas> [<timeout-ms>] (Redis WAIT, Kafka acks=all): on the log's writer,
// waits until `replicas` other participants have acknowledged `id` or beyond, or the timeout
// passes (0: none), and answers `OK <k>`, k the participants that have. It runs as a stream, so
// that the commands behind it wait in order and a disconnect (or STOP) ends it and its
// listener at once, whatever the timeout.
import type { Command } from '../../../protocol/commands.ts';
import { LogdError } from '../../../protocol/errors.ts';
import { okId } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import type { Session, Stream, StreamSink } from '../session.ts';

type Wait = Extract<Command, { verb: 'WAIT' }>;

/** setTimeout's longest delay (about 24.8 days); longer timeouts are cut to it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function handleWait(ctx: LoopContext, session: Session, cmd: Wait): void {
  if (!ctx.logs.writable(cmd.log)) {
    ctx.logs.forRead(cmd.log); // nolog for a log unknown here
    throw new LogdError('readonly', `${cmd.log} is not written on this node: WAIT on its writer`);
  }
  session.stream(new WaitStream(ctx, cmd));
}

/** The other participants that have acknowledged `id` of the log or beyond. */
export function acknowledgedBy(ctx: LoopContext, log: string, id: number): number {
  const acks = ctx.replication.acks(log);
  let k = 0;
  for (const node of ctx.logs.participants()) if ((acks.get(node) ?? 0) >= id) k++;
  return k;
}

class WaitStream implements Stream {
  private sink: StreamSink | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unwatch: (() => void) | null = null;
  private ended = false;
  /** STOP, CLOSE or the client's EOF came before start(): answer at once with what is known. */
  private endAsked = false;

  constructor(
    private readonly ctx: LoopContext,
    private readonly cmd: Wait,
  ) {}

  start(sink: StreamSink): void {
    this.sink = sink;
    if (this.endAsked) return this.end();
    if (this.check()) return;
    this.unwatch = this.ctx.replication.onAck(this.cmd.log, () => this.check());
    if (this.cmd.timeoutMs > 0) this.timer = setTimeout(() => this.end(), Math.min(this.cmd.timeoutMs, MAX_TIMER_MS));
  }

  stop(): void {
    if (this.sink) this.end();
    else this.endAsked = true;
  }

  /** The client's EOF: it waits for no more acknowledgements, so the count known now is the answer. */
  endAtHead(): void {
    this.stop();
  }

  /** Ends the wait when enough participants have acknowledged; true if it did. */
  private check(): boolean {
    const k = acknowledgedBy(this.ctx, this.cmd.log, this.cmd.id);
    if (k < this.cmd.replicas) return false;
    this.end(k);
    return true;
  }

  private end(k = acknowledgedBy(this.ctx, this.cmd.log, this.cmd.id)): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.unwatch?.();
    this.sink!.end(okId(k));
  }
}
