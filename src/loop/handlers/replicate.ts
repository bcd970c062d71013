// REPLICATE <log> <start> [<ts> <len> <crc>]: the stream a follower copies a log from. Before
// streaming, the follower's position is checked against this node's copy: a start past head+1, or
// a record start-1 whose stored header (timestamp, length, CRC) differs from ours, means the two
// histories differ (`ERR diverged`), and so does a prefix digest (prefix-digest.ts) that differs
// from ours: the records before it differ; then
// `HB <head>` at once and every second, and the stored REC frames from start on, live, exactly
// as READ-follow sends them (the RecordStream below does the streaming and the backpressure).
// The follower's `ACK <node> <id>` lines arrive through input() and are recorded for LOGS, WAIT
// and retention, but only a true one: from a node of the participants file (one node per
// stream), for an id this stream has sent (or start-1, which the follower proved it holds when
// its stamp of it matched ours), moving forward. A forged or buggy ACK could
// otherwise make --retain-until-replicated delete what nobody copied; it is ignored, counted
// (STATS bad_acks) and logged once per stream.
import type { Command } from '../../../protocol/commands.ts';
import { crcHex, stampText } from '../../../protocol/frame.ts';
import { CRLF, endAt } from '../../../protocol/replies.ts';
import type { LoopContext } from '../context.ts';
import { readFailure, refusal } from '../failure.ts';
import { RecordStream } from '../record-stream.ts';
import type { Session, Stream, StreamSink } from '../session.ts';

type Replicate = Extract<Command, { verb: 'REPLICATE' }>;

/** Heartbeats tell a silent link (dead after 3 s at the follower) from an idle log. */
export const HEARTBEAT_MS = 1000;

export function handleReplicate(ctx: LoopContext, session: Session, cmd: Replicate): void {
  ctx.logs.forRead(cmd.log);
  session.stream(new ReplicateStream(ctx, cmd, session.remote));
}

class ReplicateStream implements Stream {
  private reader: RecordStream | null = null;
  private sink: StreamSink | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private stopped = false;
  private atHead = false;
  private ended = false;
  /** The follower node this stream serves, from its first accepted ACK. */
  private follower: string | null = null;
  /** The lowest id an ACK may name: start, or start-1 once the follower's stamp of it matched ours. */
  private lowestAck: number;
  private badAckLogged = false;

  constructor(
    private readonly ctx: LoopContext,
    private readonly cmd: Replicate,
    /** The follower's address, for the log. */
    private readonly remote: string,
  ) {
    this.lowestAck = cmd.start;
  }

  start(sink: StreamSink): void {
    this.sink = sink;
    void this.open(sink);
  }

  stop(): void {
    this.stopped = true;
    this.reader?.stop();
  }

  endAtHead(): void {
    this.atHead = true;
    this.reader?.endAtHead();
  }

  input(cmd: Command): void {
    if (cmd.verb !== 'ACK') return;
    const why = this.ackProblem(cmd.node, cmd.id);
    if (why === null) {
      this.follower = cmd.node;
      this.ctx.replication.ack(this.cmd.log, cmd.node, cmd.id);
    } else if (why !== '') {
      this.ctx.replication.badAcks++;
      if (this.badAckLogged) return;
      this.badAckLogged = true;
      this.ctx.logger(
        `replicate ${this.cmd.log} to ${this.remote}: ignored ACK ${cmd.node} ${cmd.id}: ${why} (later bad ACKs on this stream are only counted)`,
      );
    }
  }

  /** Why an ACK is not believed; '' for a repeat of the current id (harmless); null if it is taken. */
  private ackProblem(node: string, id: number): string | null {
    if (!this.ctx.logs.participants().has(node)) return `${node} is not a participant`;
    if (this.follower !== null && node !== this.follower) return `this stream serves ${this.follower}`;
    const sent = this.reader?.sentUpTo ?? this.cmd.start - 1;
    if (id < this.lowestAck || id > sent) {
      const streamed = sent < this.cmd.start ? 'nothing was sent on this stream yet' : `this stream sent ids ${this.cmd.start} to ${sent} only`;
      return this.lowestAck < this.cmd.start ? `${streamed}; the follower proved it holds ${this.lowestAck}` : streamed;
    }
    const current = this.ctx.replication.acks(this.cmd.log).get(node) ?? 0;
    if (id < current) return `${node} acknowledged ${current} already`;
    return id === current ? '' : null;
  }

  private async open(sink: StreamSink): Promise<void> {
    const { ctx, cmd } = this;
    let refused: string | null;
    try {
      refused = await this.check();
    } catch (err) {
      refused = readFailure(ctx, cmd.log, err);
    }
    if (refused !== null) return this.end(refused);
    const handoff = await this.digestForNewCopy();
    if (this.stopped) return this.end(endAt(cmd.start));
    const beat = () => sink.writeLine('HB ' + ctx.logs.head(cmd.log) + CRLF);
    beat();
    if (handoff !== null) sink.writeLine(`DIGEST ${cmd.start - 1} ${crcHex(handoff)}${CRLF}`);
    this.heartbeat = setInterval(() => sink.ready && beat(), HEARTBEAT_MS);
    this.reader = new RecordStream(ctx, cmd.log, cmd.start, 0, this.atHead, (_records, bytes) => (ctx.replication.bytesOut += bytes));
    this.reader.start({
      write: (data) => sink.write(data),
      writeLine: (text) => sink.writeLine(text),
      get ready() {
        return sink.ready;
      },
      onReady: (fn) => sink.onReady(fn),
      end: (text) => this.end(text),
    });
  }

  /** The refusal line when the follower's position does not continue this node's copy. */
  private async check(): Promise<string | null> {
    const { ctx, cmd } = this;
    const head = ctx.logs.head(cmd.log);
    if (cmd.start > head + 1) {
      // The writer never lags its own log: a follower ahead of it holds records it lost.
      if (ctx.logs.writable(cmd.log))
        return refusal(ctx, 'diverged', `${cmd.log}: the follower holds records up to ${cmd.start - 1}, this node, its writer, only up to ${head}`);
      return refusal(ctx, 'syntax', `start ${cmd.start} is past the head ${head} of ${cmd.log} here`);
    }
    // A copy that diverged from its source holds an abandoned history: it is never a relay.
    if (ctx.replication.replicas.get(cmd.log)?.state === 'diverged')
      return refusal(ctx, 'nolog', `${cmd.log}: this node's copy diverged from its source and is not served to followers`);
    const first = ctx.logs.first(cmd.log);
    if (cmd.start < first) return refusal(ctx, 'gone', String(first));
    if (cmd.resume === null || cmd.start - 1 < first) return null;
    const ours = await ctx.logs.get(cmd.log)!.stampOf(cmd.start - 1);
    const theirs = cmd.resume;
    if (ours.ts !== theirs.ts || ours.len !== theirs.len || ours.crc !== theirs.crc) {
      return refusal(ctx, 'diverged', `record ${cmd.start - 1} of ${cmd.log} is ${stampText(ours)} here and ${stampText(theirs)} on the follower`);
    }
    this.lowestAck = cmd.start - 1; // the follower proved it holds start-1 (any refusal below ends the stream)
    if (cmd.digest === null) return null;
    const digest = await ctx.logs.get(cmd.log)!.digests.digestOf(cmd.start - 1);
    if (digest === null || digest === cmd.digest) return null;
    return refusal(
      ctx,
      'diverged',
      `records 1..${cmd.start - 1} of ${cmd.log} differ: prefix digest ${crcHex(digest)} here and ${crcHex(cmd.digest)} on the follower`,
    );
  }

  /**
   * A follower that holds nothing and starts past id 1 (it joins a trimmed log) cannot know the
   * prefix digest before its first record: this node tells it, if it knows it.
   */
  private async digestForNewCopy(): Promise<number | null> {
    const { ctx, cmd } = this;
    if (cmd.resume !== null || cmd.start === 1) return null;
    try {
      return (await ctx.logs.get(cmd.log)?.digests.digestOf(cmd.start - 1)) ?? null;
    } catch {
      return null; // trimmed meanwhile: the stream itself will say gone
    }
  }

  private end(text: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.sink!.end(text);
  }
}
