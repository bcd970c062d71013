// One REPLICATE session against one source, for one replica log.
//
// It asks for the records after its own head, sending that head record's stored header
// (timestamp, length, CRC) and the digest of its whole prefix (storage/prefix-digest.ts), so the source
// can tell whether both hold the same history (`ERR diverged` if not). Received bytes are
// cut into batches of whole REC frames (FrameCutter, no copy) and each batch goes to storage as it is,
// through the loop's LogAccess (log-access.ts; appendFrames verifies parse, CRC and id
// continuity, and keeps the owner's ids, timestamps and CRCs). After each batch is durable the follower acknowledges it on the same connection
// (`ACK <node> <id>`, at most one per turn), so the source knows how far it is. The link is dead
// after SILENCE_MS without a byte (the source heartbeats every second). The session ends when
// the link ends, after every batch already handed to storage has settled, so the next session
// starts from the true head. `ERR gone <first>` past what the replica needs (the source trimmed
// what the replica has not copied) ends it as 'trimmed', with that first id; replica.ts decides:
// on the owner's word the replica continues from there, while a relay's is only a refusal (what
// it trimmed, the owner may still hold). With a token the session starts with AUTH
// (its `OK` is skipped); with TLS it connects with TLS. Then HELLO (hello.ts): a source that
// answers as this node itself is refused (`self`).
// The source may be hostile or broken: a frame declaring more than --max-msg, a control line
// over 1 KiB, anything that is neither, ends the session before a byte of it is held
// (FrameCutter), with a reason for stderr. A heartbeat's head is a claim: it counts for the lag
// once frames back it, and a source that keeps claiming records it does not send (two heartbeats
// in a row with a head past the last id received and no frame between them) is cut off, its
// claim dropped (PROTOCOL.md, REPLICATE). A copy that holds nothing and starts past id 1 keeps
// the prefix digest its source tells it (`DIGEST`).
import type { Socket } from 'node:net';
import { crcHex, stampText } from '../../protocol/frame.ts';
import { authLine, dial, type DialOptions } from '../wire/dial.ts';
import type { ReplicaLog } from '../log-access.ts';
import { helloCommand, helloId, selfReason } from './hello.ts';
import { FrameCutter } from './frame-cutter.ts';
import type { ReplicaStatus, ReplicationState } from './state.ts';

export interface Source {
  name: string;
  host: string;
  port: number;
}

export interface FollowSessionOptions {
  /** The local replica. */
  log: ReplicaLog;
  source: Source;
  /** This node's id, sent with every acknowledgement. */
  nodeId: string;
  /** This node's token and TLS settings for its peers. */
  dial: DialOptions;
  /** The largest payload taken from the source (this node's --max-msg). */
  maxMsg: number;
  /** False once this source was caught claiming records it did not send: its heartbeats never count past what arrived. */
  trustHeartbeats: boolean;
  /** Updated as the session goes (state, source head). */
  status: ReplicaStatus;
  counters: ReplicationState;
  /** Aborting ends the session. */
  signal: AbortSignal;
}

export interface FollowResult {
  /**
   * progressed: the link was up (a heartbeat or records arrived); failed: it never was, or the
   * source broke the protocol; self: the source is this node itself;
   * trimmed: the source's first retained id (`first`) is past the replica's next id.
   */
  outcome: 'progressed' | 'failed' | 'diverged' | 'self' | 'trimmed';
  first?: number;
  /** Why the session ended, for the log. */
  reason: string;
  /** Worth a log line: the source refused (an ERR line), or storage refused what it sent. */
  rejected: boolean;
  /** The source claimed a head in its heartbeats that its frames did not back. */
  overclaimed?: boolean;
}

/** No byte for this long: the link is dead (heartbeats come every second). */
export const SILENCE_MS = 3000;
/** Bytes handed to storage and not yet durable above which the follower stops reading. */
const MAX_UNSTORED = 8 * 1024 * 1024;

export function follow(opts: FollowSessionOptions): Promise<FollowResult> {
  return new FollowSession(opts).run();
}

class FollowSession {
  private socket: Socket | null = null;
  private readonly cutter: FrameCutter;
  /** The next id the source must send. */
  private expected = 0;
  private durable = 0;
  private unstored = 0;
  private storing = 0;
  private paused = false;
  private up = false;
  private ackDue = false;
  /** The source answered HELLO (as another node). */
  private greeted = false;
  /** The newest heartbeat head, and the heartbeats since the last frame while it was ahead of them. */
  private claimed = 0;
  private unbackedBeats = 0;
  private silence: NodeJS.Timeout | null = null;
  private result: FollowResult | null = null;
  /** The REPLICATE carried our head's stamp (the source checks it before streaming). */
  private headProven = false;
  private settle: (r: FollowResult) => void = () => {};

  constructor(private readonly o: FollowSessionOptions) {
    this.cutter = new FrameCutter(
      {
        frames: (batch, count, first, last) => this.onFrames(batch, count, first, last),
        line: (text) => this.onLine(text),
        malformed: (reason) => this.end('failed', `bad stream from ${o.source.name}: ${reason}`, true),
      },
      o.maxMsg,
    );
  }

  async run(): Promise<FollowResult> {
    const { log, source, signal } = this.o;
    const head = log.head();
    // The head record can only be missing when retention deleted it with an emptied chunk after it.
    const stamp = head > 0 && head >= log.first() ? await log.stampOf(head) : null;
    const digest = stamp ? await log.digestOf(head) : null;
    this.expected = head + 1;
    this.durable = head;
    this.headProven = stamp !== null;
    const done = new Promise<FollowResult>((resolve) => (this.settle = resolve));
    if (signal.aborted) return { outcome: 'progressed', reason: 'stopped', rejected: false };
    const onAbort = () => this.end('progressed', 'stopped');
    signal.addEventListener('abort', onAbort);
    const socket = (this.socket = dial(source.host, source.port, this.o.dial.tls, () => {
      socket.write(
        `${authLine(this.o.dial.token)}${helloCommand(this.o.nodeId)}REPLICATE ${log.name} ${head + 1}${stamp === null ? '' : ' ' + stampText(stamp)}${digest === null ? '' : ' ' + crcHex(digest)}\n`,
      );
    }));
    socket.setNoDelay(true);
    this.watchSilence();
    socket.on('data', (received: Buffer) => {
      this.watchSilence();
      this.cutter.push(received);
    });
    socket.on('error', (err) => this.end(this.up ? 'progressed' : 'failed', `${source.name} at ${source.host}:${source.port}: ${err.message}`));
    socket.on('close', () => this.end(this.up ? 'progressed' : 'failed', `${source.name} closed the connection`));
    try {
      return await done;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private onFrames(batch: Buffer, count: number, first: number, last: number): void {
    if (this.result) return;
    if (!this.greeted) return this.end('failed', `${this.o.source.name} sent records before answering HELLO`, true);
    if (first !== this.expected) return this.end('failed', `${this.o.source.name} sent id ${first} where ${this.expected} was due`, true);
    this.expected = last + 1;
    this.unbackedBeats = 0;
    this.markUp(this.o.trustHeartbeats ? Math.max(last, this.claimed) : last);
    const { log, counters } = this.o;
    this.storing++;
    this.unstored += batch.length;
    if (this.unstored > MAX_UNSTORED) this.pause();
    log
      .appendFrames(batch)
      .then(
        () => {
          counters.recordsIn += count;
          counters.bytesIn += batch.length;
          this.durable = last;
          this.updateState();
          this.scheduleAck();
        },
        (err: unknown) => this.end('failed', `${this.o.source.name} sent records that were not stored: ${(err as Error).message}`, true),
      )
      .finally(() => {
        this.storing--;
        this.unstored -= batch.length;
        if (this.paused && this.unstored < MAX_UNSTORED / 4) this.resume();
        this.finishIfSettled();
      });
  }

  private onLine(text: string): void {
    if (this.result) return;
    const { source } = this.o;
    if (text === 'OK' && !this.greeted && this.o.dial.token) return; // AUTH accepted
    const hello = this.greeted ? null : helloId(text);
    if (hello !== null) {
      if (hello === this.o.nodeId) return this.end('self', selfReason(source.name, source.host, source.port, hello), true);
      this.greeted = true;
      return;
    }
    if (text.startsWith('HB ') && this.greeted) {
      const head = Number(text.slice(3));
      if (!/^\d{1,16}$/.test(text.slice(3)) || !Number.isSafeInteger(head))
        return this.end('failed', `bad heartbeat from ${source.name}: ${text.slice(0, 80)}`, true);
      return this.onHeartbeat(head);
    }
    if (text.startsWith('DIGEST ') && this.greeted) return this.onDigest(text);
    if (text.startsWith('ERR diverged')) return this.end('diverged', `${this.o.source.name}: ${text}`);
    if (text.startsWith('ERR gone ')) {
      const first = Number(text.slice(9));
      if (Number.isSafeInteger(first) && first > this.expected)
        return this.end('trimmed', `${this.o.source.name} starts ${this.o.log.name} at id ${first}`, false, first);
    }
    if (text.startsWith('ERR ')) return this.end(this.up ? 'progressed' : 'failed', `${this.o.source.name} refused: ${text}`, true);
    if (text.startsWith('END')) return this.end('progressed', `${this.o.source.name} ended the stream`);
    this.end('failed', `unexpected line from ${this.o.source.name}: ${JSON.stringify(text.slice(0, 80))}`, true);
  }

  /** `DIGEST <id> <digest>`: the prefix digest before the first record of a copy that holds none yet. */
  private onDigest(text: string): void {
    const m = /^DIGEST (\d{1,16}) ([0-9a-f]{8})$/.exec(text);
    if (!m) return this.end('failed', `bad DIGEST line from ${this.o.source.name}: ${text.slice(0, 80)}`, true);
    const { log } = this.o;
    const id = Number(m[1]);
    if (id === this.expected - 1 && log.head() === id && log.first() === id + 1) log.adoptDigest(id, parseInt(m[2]!, 16));
  }

  /**
   * A heartbeat claims the source's head. Claims past what was received count once frames back
   * them (onFrames); a claim standing through two heartbeats with no frame is a source claiming
   * records it does not send: the session ends and the lag falls back to what arrived.
   */
  private onHeartbeat(head: number): void {
    // The source accepted our head's stamp: acknowledge that head at once, so that a writer that
    // restarted (or that we copied around through a relay) knows what this copy holds.
    if (!this.up && this.headProven) this.scheduleAck();
    const received = this.expected - 1;
    if (head > received && this.claimed > received) this.unbackedBeats++;
    else this.unbackedBeats = 0;
    if (this.unbackedBeats >= 2) {
      this.o.status.sourceHead = Math.min(this.o.status.sourceHead ?? received, received);
      this.end('failed', `${this.o.source.name} claims head ${head} but sent nothing past ${received}; its heartbeats no longer count for the lag`, true);
      this.result!.overclaimed = true;
      return;
    }
    this.claimed = head;
    this.markUp(Math.min(head, received));
  }

  /** The link is up and the source holds at least `head`. */
  private markUp(head: number): void {
    this.up = true;
    const known = this.o.status.sourceHead;
    if (known === null || head > known) this.o.status.sourceHead = head;
    this.updateState();
  }

  private updateState(): void {
    if (this.result || !this.up) return;
    this.o.status.state = this.durable >= (this.o.status.sourceHead ?? 0) ? 'live' : 'catching-up';
  }

  /** One acknowledgement per turn, of the newest durable id. */
  private scheduleAck(): void {
    if (this.ackDue) return;
    this.ackDue = true;
    setImmediate(() => {
      this.ackDue = false;
      if (!this.result) this.socket!.write(`ACK ${this.o.nodeId} ${this.durable}\n`);
    });
  }

  private watchSilence(): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = setTimeout(
      () => this.end(this.up ? 'progressed' : 'failed', `no data or heartbeat from ${this.o.source.name} for ${SILENCE_MS / 1000} s`),
      SILENCE_MS,
    );
  }

  /** Storage is behind: stop reading (TCP then holds the source back); silence is not death then. */
  private pause(): void {
    this.paused = true;
    this.socket!.pause();
    if (this.silence) clearTimeout(this.silence);
    this.silence = null;
  }

  private resume(): void {
    this.paused = false;
    if (this.result) return;
    this.socket!.resume();
    this.watchSilence();
  }

  private end(outcome: FollowResult['outcome'], reason: string, rejected = false, first?: number): void {
    if (this.result) return;
    this.result = { outcome, reason, rejected, first };
    if (this.silence) clearTimeout(this.silence);
    this.socket?.destroy();
    this.finishIfSettled();
  }

  private finishIfSettled(): void {
    if (this.result && this.storing === 0) this.settle(this.result);
  }
}
