// A connection's one queue of pending replies. Every command has a place in it (a Reply) from the
// moment it arrives until its reply has been written, so replies leave in command order by
// construction. A Reply's state, in the order it goes through them:
//   WAITING   the command has not run yet (it must see the effects of earlier ones)
//   DEFERRED  it ran; its reply comes later (an append waiting for its fsync, a wrong AUTH)
//   STREAM    it ran as a READ or REPLICATE stream, which owns the output from its turn to its END
//   DONE      the reply text is known and leaves at its turn
import type { Command } from '../../protocol/commands.ts';
import type { ReplySlot, Stream } from '../loop/session.ts';

export const WAITING = 0;
export const DEFERRED = 1;
export const STREAM = 2;
export const DONE = 3;
type State = typeof WAITING | typeof DEFERRED | typeof STREAM | typeof DONE;

/** How a stream must end early, if at all (the strongest request wins). */
export const RUN = 0;
/** The client's EOF: send what is stored, then END; never wait for records not yet written. */
export const AT_HEAD = 1;
/** STOP, CLOSE, a fatal error, a shutdown: END at once. */
export const STOP = 2;
export type Ending = typeof RUN | typeof AT_HEAD | typeof STOP;

/** The connection: told when a deferred reply is known. */
export interface ReplyOwner {
  /** `commands`: how many commands the reply answers. */
  replied(commands: number): void;
}

/** Written replies kept at the front of the queue before it is compacted. */
const COMPACT_AT = 1024;

export class Reply implements ReplySlot {
  state: State;
  cmd: Command | null;
  text: string | Buffer | null;
  /** Commands this reply answers: more than one for a run of MSGs joined to it (join()). */
  commands = 1;
  stream: Stream | null = null;
  started = false;
  ending: Ending = RUN;
  /** While WAITING: roughly the memory its command holds (waitingBytes). */
  bytes = 0;

  constructor(
    private readonly owner: ReplyOwner,
    state: State,
    cmd: Command | null,
    text: string | null,
  ) {
    this.state = state;
    this.cmd = cmd;
    this.text = text;
  }

  /** A READ or REPLICATE, running or still to run. */
  get isStream(): boolean {
    return this.state === STREAM || (this.state === WAITING && (this.cmd?.verb === 'READ' || this.cmd?.verb === 'REPLICATE'));
  }

  /** Asks a stream (running, or still to run) to end early; a stream not started yet ends as soon as it starts. */
  end(how: Ending): void {
    if (how <= this.ending) return;
    this.ending = how;
    if (this.started && this.state === STREAM) applyEnding(this.stream!, how);
  }

  /** ReplySlot: the deferred reply's text. */
  send(text: string | Buffer): void {
    this.state = DONE;
    this.text = text;
    this.owner.replied(this.commands);
  }
}

export function applyEnding(stream: Stream, how: Ending): void {
  if (how === STOP) stream.stop();
  else if (how === AT_HEAD) stream.endAtHead();
}

export class ReplyQueue {
  private readonly items: Reply[] = [];
  /** [0, sent) written; [sent, toRun) ran; [toRun, end) wait to run, or are parser errors in line. */
  private sent = 0;
  private toRun = 0;
  /** Roughly the memory the waiting commands hold (payloads, long arguments). */
  waitingBytes = 0;

  constructor(private readonly owner: ReplyOwner) {}

  /** Some reply is not written yet. */
  get pending(): boolean {
    return this.sent < this.items.length;
  }

  /** No command waits for its turn: a new one may run at once. */
  get noneWaiting(): boolean {
    return this.toRun === this.items.length;
  }

  get waiting(): number {
    return this.items.length - this.toRun;
  }

  /** The place of a command that runs as it arrives (none waits before it). */
  ran(state: State, text: string | null): Reply {
    const r = new Reply(this.owner, state, null, text);
    this.items.push(r);
    this.toRun = this.items.length;
    return r;
  }

  /** Makes the newest reply, if it is `slot` and still deferred, answer one more command. */
  join(slot: ReplySlot): boolean {
    const r = this.items[this.items.length - 1];
    if (r === undefined || r !== slot || r.state !== DEFERRED) return false;
    r.commands++;
    return true;
  }

  /** A command that must wait its turn, or a parser error in line behind such commands (cmd null). */
  wait(cmd: Command | null, text: string | null): void {
    const r = new Reply(this.owner, cmd ? WAITING : DONE, cmd, text);
    r.bytes = cmd ? heldBytes(cmd) : (text?.length ?? 0);
    this.waitingBytes += r.bytes;
    this.items.push(r);
  }

  /** The first reply not written yet. */
  first(): Reply | undefined {
    return this.items[this.sent];
  }

  written(): void {
    this.sent++;
  }

  /** The next command to run (parser errors in line are passed over); take() it to run it. */
  nextToRun(): Reply | undefined {
    while (this.toRun < this.items.length && this.items[this.toRun]!.state !== WAITING) this.waitingBytes -= this.items[this.toRun++]!.bytes;
    return this.items[this.toRun];
  }

  /** Only after nextToRun() returned a command. */
  take(): void {
    this.waitingBytes -= this.items[this.toRun++]!.bytes;
  }

  /** Forgets every place after r: the commands sent after one that ends the connection never run. */
  dropAfter(r: Reply): void {
    this.items.length = this.toRun = this.items.indexOf(r, this.sent) + 1;
    this.waitingBytes = 0;
  }

  /** Asks every READ and REPLICATE not answered yet, running or still to run, to end. */
  endStreams(how: Ending): void {
    for (let i = this.sent; i < this.items.length; i++) {
      const item = this.items[i]!;
      if (item.isStream) item.end(how);
    }
  }

  /** Forgets written replies (all of them once none is pending); true when the queue is empty. */
  compact(): boolean {
    const items = this.items;
    if (this.sent === items.length) {
      items.length = this.sent = this.toRun = this.waitingBytes = 0;
      return true;
    }
    if (this.sent >= COMPACT_AT && this.sent * 2 > items.length) {
      items.splice(0, this.sent);
      this.toRun -= this.sent;
      this.sent = 0;
    }
    return false;
  }
}

/** What a waiting command holds: its payloads and long arguments, plus a little for itself. */
function heldBytes(cmd: Command): number {
  let n = 64;
  if (cmd.verb === 'MSG') n += cmd.payload.length;
  else if (cmd.verb === 'APPEND') for (const p of cmd.payloads) n += p.length;
  else if (cmd.verb === 'AUTH') n += cmd.token.length;
  else if (cmd.verb === 'SUBSCRIBE' || cmd.verb === 'UNSUBSCRIBE') for (const log of cmd.logs) n += log.length + 16;
  return n;
}
