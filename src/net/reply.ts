// One command's place in its connection's reply queue, from the moment it arrives until its
// reply has been written. A tagged state, in the order an entry goes through them:
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

export class Reply implements ReplySlot {
  state: State;
  cmd: Command | null;
  text: string | null;
  stream: Stream | null = null;
  started = false;
  ending: Ending = RUN;

  constructor(
    private readonly owner: { replied(): void },
    state: State,
    cmd: Command | null,
    text: string | null,
  ) {
    this.state = state;
    this.cmd = cmd;
    this.text = text;
  }

  /** A READ or REPLICATE, running or still to run. */
  get streams(): boolean {
    return this.state === STREAM || (this.state === WAITING && (this.cmd?.verb === 'READ' || this.cmd?.verb === 'REPLICATE'));
  }

  /** Asks a stream (running, or still to run) to end early; a stream not started yet ends as soon as it starts. */
  end(how: Ending): void {
    if (how <= this.ending) return;
    this.ending = how;
    if (this.started && this.state === STREAM) applyEnding(this.stream!, how);
  }

  /** ReplySlot: the deferred reply's text. */
  send(text: string): void {
    this.state = DONE;
    this.text = text;
    this.owner.replied();
  }
}

export function applyEnding(stream: Stream, how: Ending): void {
  if (how === STOP) stream.stop();
  else if (how === AT_HEAD) stream.endAtHead();
}
