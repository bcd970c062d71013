// The incremental protocol parser: socket bytes in, validated Commands (or errors) out.
//
// Dev docs. A state machine in the style of nats-server's parser.go, fed whatever buffers the
// socket delivers (one per 'data' event: a *read*; "chunk" names a file, STORAGE.md); any split
// of the stream gives the same sink calls in the same order.
// - LINE: find the LF with indexOf. A line inside one read is parsed in place (a MSG payload is
//   a zero-copy view of the read: Node gives every 'data' event a fresh Buffer, so views are
//   safe to keep). A line that spans reads is held as views and concatenated once at its LF,
//   except a long MSG, whose text becomes the views themselves (Pieces: no copy at all).
// - Held line bytes are capped at --max-line (+1 for a CR): past it the line is refused with
//   `toolong` and DISCARD drops everything through the next LF. A MSG whose header arrived within
//   the first --max-line bytes may grow to header + --max-msg instead. The decision depends only on
//   the line's first --max-line bytes and its length, never on where the reads were cut.
// - BODY: an APPEND's bodies are counted, never scanned (append-bodies.ts).
// - TERMINATOR / TERMINATOR_LF: each body must be followed by CRLF or LF, or framing is lost.
// - DEAD: after a fatal error every later byte is ignored (the server closes the connection).
// The grammar of each verb is in line.ts; byte helpers in tokens.ts; the contract in PROTOCOL.md.
import type { Command } from './commands.ts';
import type { ErrorCode } from './errors.ts';
import { LogdError } from './errors.ts';
import { AppendBodies } from './append-bodies.ts';
import { APPEND_LINE, OTHER_LINE, USAGE, classifyLongLine, conditionalTarget, parseCommand, verbAt } from './line.ts';
import { Pieces, sliceViews } from './pieces.ts';
import { CR, LF, SPACE, Tokens, decimalAt, nameAt, snippet } from './tokens.ts';

export interface ParserLimits {
  /** Longest control line, without its CR LF (--max-line). */
  maxLine: number;
  /** Largest MSG text or APPEND record (--max-msg). */
  maxMsg: number;
  /** Largest total of one APPEND's records. */
  maxBatch: number;
}

/** The server's defaults (--max-line, --max-msg, --max-batch): the one place they are written. */
export const DEFAULT_LIMITS: Readonly<ParserLimits> = { maxLine: 65536, maxMsg: 1 << 20, maxBatch: 64 << 20 };

export interface ParserSink {
  /** One complete, validated command. */
  command(cmd: Command): void;
  /** Reply `ERR <code> <message>`; the connection continues. */
  error(code: ErrorCode, message: string): void;
  /** Reply `ERR <code> <message>`, then the server closes; the parser ignores all later input. */
  fatal(code: ErrorCode, message: string): void;
}

const LINE = 0;
const DISCARD = 1;
const BODY = 2;
const TERMINATOR = 3;
const TERMINATOR_LF = 4;
const DEAD = 5;

/** Bytes of a long held line that classifyHeld and splitMsg look at first. */
const CLASSIFY_PREFIX = 512;
/** A held MSG line this long keeps its text in the pieces it arrived in (splitMsg); shorter ones are copied. */
const SPLIT_MSG_BYTES = 16 * 1024;

/** The last byte of the held views (the last ones may be empty). */
function lastHeldByte(held: readonly Buffer[]): number {
  for (let i = held.length - 1; i >= 0; i--) if (held[i]!.length > 0) return held[i]![held[i]!.length - 1]!;
  return -1;
}

export class Parser {
  private state = LINE;
  private readonly tokens = new Tokens();
  // An unfinished control line: views of the reads it arrived in.
  private readonly held: Buffer[] = [];
  private heldLen = 0;
  /** -1 while --max-line bounds the held line; else the longer bound of a MSG (header + max-msg). */
  private msgLineLimit = -1;
  /** The APPEND whose bodies are streaming in. */
  private readonly bodies = new AppendBodies();

  constructor(
    private readonly limits: ParserLimits,
    private readonly sink: ParserSink,
  ) {}

  /** Bytes currently held for an incomplete line or APPEND (memory accounting). */
  get buffered(): number {
    return this.heldLen + this.bodies.held;
  }

  push(data: Buffer): void {
    const end = data.length;
    let pos = 0;
    while (pos < end) {
      switch (this.state) {
        case LINE:
          pos = this.readLine(data, pos, end);
          break;
        case DISCARD: {
          const lf = data.indexOf(LF, pos);
          if (lf < 0) return;
          pos = lf + 1;
          this.state = LINE;
          break;
        }
        case BODY:
          pos = this.bodies.read(data, pos, end);
          if (this.bodies.left === 0) this.state = TERMINATOR;
          break;
        case TERMINATOR:
          if (data[pos] === CR) this.state = TERMINATOR_LF;
          else if (data[pos] === LF) this.endBody();
          else return this.die('syntax', 'bad APPEND body terminator');
          pos++;
          break;
        case TERMINATOR_LF:
          if (data[pos] !== LF) return this.die('syntax', 'bad APPEND body terminator');
          this.endBody();
          pos++;
          break;
        default: // DEAD
          return;
      }
    }
  }

  private readLine(data: Buffer, pos: number, end: number): number {
    const lf = data.indexOf(LF, pos);
    if (lf < 0) {
      this.hold(data.subarray(pos, end));
      return end;
    }
    if (this.heldLen === 0) {
      this.line(data, pos, lf);
    } else {
      this.held.push(data.subarray(pos, lf));
      const length = this.heldLen + lf - pos;
      if (length >= SPLIT_MSG_BYTES && this.splitMsg(length)) {
        this.dropHeld();
      } else {
        const line = Buffer.concat(this.held, length);
        this.dropHeld();
        this.line(line, 0, line.length);
      }
    }
    return lf + 1;
  }

  /**
   * A long, valid MSG line held in pieces becomes a command whose text is those pieces (views of
   * the socket reads, no copy). False for anything else (another verb, a bad name, over a limit,
   * a header past the first bytes): line() then parses the copied line and answers as always.
   */
  private splitMsg(length: number): boolean {
    const held = this.held;
    const head = Buffer.concat(held, Math.min(length, CLASSIFY_PREFIX));
    const textStart = classifyLongLine(head, 0, head.length);
    if (textStart < 0) return false;
    const end = lastHeldByte(held) === CR ? length - 1 : length;
    if (end - textStart > this.limits.maxMsg) return false;
    const logEnd = textStart - 1;
    let logStart = logEnd;
    while (logStart > 0 && head[logStart - 1] !== SPACE) logStart--;
    const log = nameAt(head, logStart, logEnd);
    if (log === null) return false;
    this.sink.command({ verb: 'MSG', log, payload: new Pieces(sliceViews(held, textStart, end), end - textStart) });
    return true;
  }

  /** Keeps part of an unfinished line, refusing it as soon as it is certainly over its limit. */
  private hold(piece: Buffer): void {
    this.held.push(piece);
    this.heldLen += piece.length;
    const { maxLine, maxMsg } = this.limits;
    if (this.heldLen <= maxLine + 1) return; // + 1: the last byte may be the CR of a CRLF
    if (this.msgLineLimit < 0) {
      const textStart = this.classifyHeld();
      if (textStart < 0) return this.refuseLongLine(textStart, true);
      this.msgLineLimit = textStart + maxMsg;
    }
    if (this.heldLen > this.msgLineLimit + 1) this.refuse('toolong', `message over ${maxMsg} bytes`, true);
  }

  /**
   * classifyLongLine of the held line's first --max-line bytes. A MSG's header is almost always in
   * its first few hundred bytes: those are tried first, so that a 64 KiB MSG is not copied just to
   * find where its text starts. Only an undecided answer (OTHER_LINE) needs the whole prefix.
   */
  private classifyHeld(): number {
    const { maxLine } = this.limits;
    const quick = Math.min(maxLine, CLASSIFY_PREFIX);
    const kind = classifyLongLine(Buffer.concat(this.held, quick), 0, quick);
    if (kind !== OTHER_LINE || quick === maxLine) return kind;
    return classifyLongLine(Buffer.concat(this.held, maxLine), 0, maxLine);
  }

  /** One complete line, buf[s, e), its LF removed. */
  private line(buf: Buffer, s: number, e: number): void {
    if (e > s && buf[e - 1] === CR) e--;
    const { maxLine, maxMsg } = this.limits;
    if (e - s > maxLine) {
      const textStart = classifyLongLine(buf, s, s + maxLine);
      if (textStart < 0) return this.refuseLongLine(textStart, false);
      if (e - textStart > maxMsg) return this.refuse('toolong', `message over ${maxMsg} bytes`, false);
    }
    let p = s;
    while (p < e && buf[p] === SPACE) p++;
    if (p === e) return; // an empty line
    const verbStart = p;
    while (p < e && buf[p] !== SPACE) p++;
    const verb = verbAt(buf, verbStart, p);
    if (verb === null) return this.sink.error('unknown', `command "${snippet(buf, verbStart, p)}"`);
    if (verb === 'APPEND') return this.startAppend(buf, p, e);
    let cmd: Command;
    try {
      cmd = parseCommand(verb, buf, p, e, this.tokens, maxMsg);
    } catch (err) {
      if (!(err instanceof LogdError)) throw err;
      return this.sink.error(err.code, err.message);
    }
    this.sink.command(cmd);
  }

  /** A line over --max-line. An APPEND line takes its bodies' sizes with it: fatal. */
  private refuseLongLine(kind: number, midLine: boolean): void {
    const text = `line over ${this.limits.maxLine} bytes`;
    if (kind === APPEND_LINE) return this.die('toolong', text);
    this.refuse('toolong', text, midLine);
  }

  /** Replies an error for the current line; when its LF is still to come, skips through it. */
  private refuse(code: ErrorCode, text: string, midLine: boolean): void {
    this.dropHeld();
    if (midLine) this.state = DISCARD;
    this.sink.error(code, text);
  }

  private startAppend(buf: Buffer, argStart: number, e: number): void {
    const t = this.tokens;
    t.scan(buf, argStart, e);
    if (t.count < 2) return this.die('syntax', `usage: ${USAGE.APPEND}`);
    const lens: number[] = [];
    let total = 0;
    let largest = 0;
    for (let i = 1; i < t.count; i++) {
      const len = decimalAt(buf, t.start[i]!, t.end[i]!);
      if (len < 0) return this.die('syntax', `bad APPEND length "${snippet(buf, t.start[i]!, t.end[i]!)}"`);
      lens.push(len);
      total += len;
      if (len > largest) largest = len;
    }
    let log = nameAt(buf, t.start[0]!, t.end[0]!);
    let expect = 0;
    let badTarget: LogdError | null = null;
    if (log === null) {
      try {
        ({ log, expect } = conditionalTarget(buf, t.start[0]!, t.end[0]!));
      } catch (err) {
        if (!(err instanceof LogdError)) throw err;
        badTarget = err;
      }
    }
    const { maxMsg, maxBatch } = this.limits;
    if (badTarget !== null) this.sink.error(badTarget.code, badTarget.message);
    else if (largest > maxMsg) this.sink.error('toolong', `record over ${maxMsg} bytes`);
    else if (total > maxBatch) this.sink.error('toolong', `batch over ${maxBatch} bytes`);
    const refused = log === null || largest > maxMsg || total > maxBatch;
    this.bodies.start(log ?? '', expect, lens, refused);
    this.state = this.bodies.left > 0 ? BODY : TERMINATOR;
  }

  /** A body's terminator has come: the next body, or the APPEND is complete. */
  private endBody(): void {
    if (this.bodies.next()) {
      this.state = this.bodies.left > 0 ? BODY : TERMINATOR;
      return;
    }
    this.state = LINE;
    const cmd = this.bodies.finish();
    if (cmd !== null) this.sink.command(cmd);
  }

  private die(code: ErrorCode, text: string): void {
    this.state = DEAD;
    this.dropHeld();
    this.bodies.drop();
    this.sink.fatal(code, text);
  }

  private dropHeld(): void {
    this.held.length = 0;
    this.heldLen = 0;
    this.msgLineLimit = -1;
  }
}
