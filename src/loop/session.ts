// What the loop sees of a client connection: ordered replies, streams, and coalesced pushes.
// The net layer implements it; the loop never touches a socket.
import type { Command } from '../../protocol/commands.ts';

/** A reply whose text is not known yet; replies still leave in command order. */
export interface ReplySlot {
  /** The reply's lines (a slot joined by later commands answers each of them: one line each). */
  send(text: string | Buffer): void;
}

/** Where a streaming reply (READ, REPLICATE) writes; it owns the connection's output until end(). */
export interface StreamSink {
  /** Sends stored bytes as they are. */
  write(data: Buffer): void;
  /** Sends a line in the middle of the stream (e.g. a heartbeat). */
  writeLine(text: string): void;
  /** False while the client is behind: stop reading from disk until onReady fires. */
  readonly ready: boolean;
  /** Calls fn once when the client has caught up again. */
  onReady(fn: () => void): void;
  /** Sends the final line and hands the connection back to the commands waiting behind the stream. */
  end(text: string): void;
}

/**
 * A streaming reply. start() runs when every earlier reply has been sent. stop() and endAtHead()
 * may come before start(): start() then ends as asked (`END <start>` after a stop).
 */
export interface Stream {
  start(sink: StreamSink): void;
  /** STOP, CLOSE or a disconnect: end as soon as possible (with end(), unless the client is gone). */
  stop(): void;
  /** The client's EOF: send what is stored (up to the limit), then end; never wait for new records. */
  endAtHead(): void;
  /** Commands the client sends while this stream runs (REPLICATE's ACK); absent: none accepted. */
  input?(cmd: Command): void;
}

/**
 * A client connection as a handler sees it. A handler answers the command it runs before it
 * returns, with exactly one of reply(), defer() (then the slot's send(), later) or stream().
 */
export interface Session {
  readonly id: number;
  readonly remote: string;
  /** Set by AUTH. */
  authed: boolean;
  /** Logs this session is subscribed to, with the function that ends each subscription. */
  readonly subscriptions: Map<string, () => void>;
  reply(text: string): void;
  defer(): ReplySlot;
  /**
   * Makes `slot`, the session's newest reply, answer the command being run as well: a run of
   * pipelined MSGs gets one reply, whose text then has one line per command. False when
   * another reply came after it or it is answered: the handler defers its own.
   */
  join(slot: ReplySlot): boolean;
  stream(stream: Stream): void;
  /** An out-of-band line; a newer push with the same key replaces one not yet sent. */
  push(key: string, text: string): void;
  /**
   * Ends the connection after the command being run: commands sent after it are never run; the
   * connection closes once every reply up to this command's has been sent.
   */
  close(): void;
}
