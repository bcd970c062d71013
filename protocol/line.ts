// One complete control line (LF and CR already removed) -> one Command, or a LogdError whose
// text becomes the `ERR` reply. The grammar of every verb lives here; framing (line ends, APPEND
// bodies, limits across socket reads) lives in parser.ts.
import type { Command, Verb } from './commands.ts';
import { VERBS } from './commands.ts';
import { LogdError } from './errors.ts';
import { badName } from './names.ts';
import { parseTime } from './time.ts';
import { SPACE, type Tokens, crcAt, decimalAt, nameAt, snippet, wordAt } from './tokens.ts';

export const USAGE: Record<Verb, string> = {
  PING: 'PING',
  MSG: 'MSG <log>[@<next-id>] <text>',
  APPEND: 'APPEND <log>[@<next-id>] <len> [<len> ...]',
  HEAD: 'HEAD <log>',
  READ: 'READ <log> <start>|@<consumer> [<limit>] [NOWAIT|WAIT <ms>]',
  STOP: 'STOP',
  SUBSCRIBE: 'SUBSCRIBE <log> [<log> ...]',
  UNSUBSCRIBE: 'UNSUBSCRIBE [<log> ...]',
  REPLICATE: 'REPLICATE <log> <start> [<ts> <len> <crc> [<digest>]]',
  ACK: 'ACK <node> <id>',
  HELLO: 'HELLO <node>',
  WAIT: 'WAIT <log> <id> <replicas> [<timeout-ms>]',
  LOGS: 'LOGS',
  STATS: 'STATS',
  CHECKPOINT: 'CHECKPOINT <consumer> <log> [<id> [RESET]]',
  CONSUMERS: 'CONSUMERS [<log>]',
  SEEK: 'SEEK <log> <time>',
  TRIM: 'TRIM <log> <before-id>',
  REFUSE: 'REFUSE <log>',
  ACCEPT: 'ACCEPT <log>',
  AUTH: 'AUTH <token>',
  CLOSE: 'CLOSE',
  SHUTDOWN: 'SHUTDOWN',
};

const lower = (word: string): Uint8Array => Buffer.from(word.toLowerCase(), 'latin1');
// MSG first: it is the hot verb.
const VERB_WORDS = [...VERBS].sort((a, b) => (a === 'MSG' ? -1 : b === 'MSG' ? 1 : 0)).map((verb) => ({ verb, word: lower(verb) }));
const NOWAIT = lower('NOWAIT');
const WAIT = lower('WAIT');
const RESET = lower('RESET');
const DOLLAR = 36;
const AT = 64;

/** The verb spelled by buf[s, e) in any case, or null. */
export function verbAt(buf: Uint8Array, s: number, e: number): Verb | null {
  for (const v of VERB_WORDS) if (wordAt(buf, s, e, v.word)) return v.verb;
  return null;
}

/** classifyLongLine: a line that is not MSG or APPEND. */
export const OTHER_LINE = -1;
/** classifyLongLine: an APPEND line (its bodies' sizes are lost with it). */
export const APPEND_LINE = -2;

/**
 * What a line over --max-line is, judged on the bytes it starts with, buf[s, e): the position
 * where a MSG text starts (`MSG`, spaces, the log token, one space, all before e), APPEND_LINE or
 * OTHER_LINE. The parser applies it to the same first bytes whether or not the LF has arrived, so
 * any split of the stream gives the same answer.
 */
export function classifyLongLine(buf: Uint8Array, s: number, e: number): number {
  while (s < e && buf[s] === SPACE) s++;
  let p = s;
  while (p < e && buf[p] !== SPACE) p++;
  if (p === e) return OTHER_LINE;
  const verb = verbAt(buf, s, p);
  if (verb === 'APPEND') return APPEND_LINE;
  if (verb !== 'MSG') return OTHER_LINE;
  while (p < e && buf[p] === SPACE) p++;
  while (p < e && buf[p] !== SPACE) p++;
  return p < e ? p + 1 : OTHER_LINE;
}

const syntax = (text: string): LogdError => new LogdError('syntax', text);
const usage = (verb: Verb): LogdError => syntax(`usage: ${USAGE[verb]}`);

/**
 * The conditional target `<log>@<next-id>` in buf[s, e), for a token that is not a plain log
 * name (a valid name holds no '@', so plain appends never get here). Throws for a bad one.
 */
export function conditionalTarget(buf: Buffer, s: number, e: number): { log: string; expect: number } {
  let at = s;
  while (at < e && buf[at] !== AT) at++;
  const log = at < e ? nameAt(buf, s, at) : null;
  if (log === null) throw badName('log', snippet(buf, s, at));
  const expect = decimalAt(buf, at + 1, e);
  if (expect < 1) throw syntax(`bad next id "${snippet(buf, at + 1, e)}"`);
  return { log, expect };
}

/** The MSG grammar: payload = everything after the one space that follows the log token. */
function parseMsg(buf: Buffer, p: number, e: number, maxMsg: number): Command {
  while (p < e && buf[p] === SPACE) p++;
  if (p === e) throw usage('MSG');
  const logStart = p;
  while (p < e && buf[p] !== SPACE) p++;
  const logEnd = p;
  const textStart = p < e ? p + 1 : e;
  // Length first: a MSG over the limit is refused the same way when it streams in (parser.ts).
  if (e - textStart > maxMsg) throw new LogdError('toolong', `message over ${maxMsg} bytes`);
  const log = nameAt(buf, logStart, logEnd);
  if (log === null) {
    const target = conditionalTarget(buf, logStart, logEnd);
    if (textStart === e) throw syntax('empty message');
    return { verb: 'MSG', log: target.log, payload: buf.subarray(textStart, e), expect: target.expect };
  }
  if (textStart === e) throw syntax('empty message');
  return { verb: 'MSG', log, payload: buf.subarray(textStart, e) };
}

/** Reads the arguments of every verb but MSG and APPEND through a reused token list. */
class Args {
  constructor(
    readonly buf: Buffer,
    readonly t: Tokens,
    readonly verb: Verb,
  ) {}

  count(min: number, max: number): void {
    if (this.t.count < min || this.t.count > max) throw usage(this.verb);
  }

  /** `skip`: bytes of the token before the name (the '@' of `@<consumer>`). */
  name(i: number, what: 'log' | 'consumer' | 'node' = 'log', skip = 0): string {
    const name = nameAt(this.buf, this.t.start[i]! + skip, this.t.end[i]!);
    if (name === null) throw badName(what, this.text(i));
    return name;
  }

  names(from: number): string[] {
    const out: string[] = [];
    for (let i = from; i < this.t.count; i++) out.push(this.name(i));
    return out;
  }

  /** A decimal number >= min. */
  number(i: number, what: string, min: number): number {
    const n = decimalAt(this.buf, this.t.start[i]!, this.t.end[i]!);
    if (n < min) throw syntax(`bad ${what} "${this.text(i)}"`);
    return n;
  }

  is(i: number, word: Uint8Array): boolean {
    return wordAt(this.buf, this.t.start[i]!, this.t.end[i]!, word);
  }

  isByte(i: number, byte: number): boolean {
    return this.t.end[i]! - this.t.start[i]! === 1 && this.buf[this.t.start[i]!] === byte;
  }

  startsWith(i: number, byte: number): boolean {
    return this.buf[this.t.start[i]!] === byte;
  }

  time(i: number): number {
    const time = parseTime(this.buf.toString('latin1', this.t.start[i]!, this.t.end[i]!));
    if (time === null) throw syntax(`bad time "${this.text(i)}"`);
    return time;
  }

  /** 8 hex digits (a CRC-32). */
  crc(i: number, what = 'crc'): number {
    const crc = crcAt(this.buf, this.t.start[i]!, this.t.end[i]!);
    if (crc < 0) throw syntax(`bad ${what} "${this.text(i)}"`);
    return crc;
  }

  text(i: number): string {
    return snippet(this.buf, this.t.start[i]!, this.t.end[i]!);
  }
}

/**
 * Parses the arguments of `verb` (not APPEND: its bodies make it a framing matter, parser.ts),
 * which start at `argStart` and end at `e`. Throws LogdError for a bad line.
 */
export function parseCommand(verb: Exclude<Verb, 'APPEND'>, buf: Buffer, argStart: number, e: number, tokens: Tokens, maxMsg: number): Command {
  if (verb === 'MSG') return parseMsg(buf, argStart, e, maxMsg);
  tokens.scan(buf, argStart, e);
  const a = new Args(buf, tokens, verb);
  switch (verb) {
    case 'PING':
    case 'STOP':
    case 'LOGS':
    case 'STATS':
    case 'CLOSE':
    case 'SHUTDOWN':
      a.count(0, 0);
      return { verb };
    case 'HEAD':
    case 'REFUSE':
    case 'ACCEPT':
      a.count(1, 1);
      return { verb, log: a.name(0) };
    case 'READ':
      return parseRead(a);
    case 'SUBSCRIBE':
      a.count(1, Infinity);
      return { verb, logs: a.names(0) };
    case 'UNSUBSCRIBE':
      return { verb, logs: a.names(0) };
    case 'REPLICATE':
      if (tokens.count !== 2 && tokens.count !== 5 && tokens.count !== 6) throw usage(verb);
      return {
        verb,
        log: a.name(0),
        start: a.number(1, 'start', 1),
        resume: tokens.count >= 5 ? { ts: a.number(2, 'timestamp', 0), len: a.number(3, 'length', 0), crc: a.crc(4) } : null,
        digest: tokens.count === 6 ? a.crc(5, 'digest') : null,
      };
    case 'ACK':
      a.count(2, 2);
      return { verb, node: a.name(0, 'node'), id: a.number(1, 'id', 0) };
    case 'HELLO':
      a.count(1, 1);
      return { verb, node: a.name(0, 'node') };
    case 'WAIT':
      a.count(3, 4);
      return {
        verb,
        log: a.name(0),
        id: a.number(1, 'id', 1),
        replicas: a.number(2, 'replicas', 0),
        timeoutMs: tokens.count === 4 ? a.number(3, 'timeout', 0) : 0,
      };
    case 'CHECKPOINT': {
      a.count(2, 4);
      if (tokens.count === 4 && !a.is(3, RESET)) throw usage(verb);
      const cmd = { verb, consumer: a.name(0, 'consumer'), log: a.name(1), id: tokens.count >= 3 ? a.number(2, 'id', 0) : null };
      return tokens.count === 4 ? { ...cmd, reset: true } : cmd;
    }
    case 'CONSUMERS':
      a.count(0, 1);
      return { verb, log: tokens.count === 1 ? a.name(0) : null };
    case 'SEEK':
      a.count(2, 2);
      return { verb, log: a.name(0), time: a.time(1) };
    case 'TRIM':
      a.count(2, 2);
      return { verb, log: a.name(0), before: a.number(1, 'before-id', 1) };
    case 'AUTH':
      a.count(1, 1);
      return { verb, token: buf.toString('utf8', tokens.start[0], tokens.end[0]) };
  }
}

/** READ <log> <start>|$|@<consumer> [<limit>] [NOWAIT | WAIT <ms>] */
function parseRead(a: Args): Command {
  const n = a.t.count;
  if (n < 2) throw usage('READ');
  const log = a.name(0);
  const start = a.isByte(1, DOLLAR) ? '$' : a.startsWith(1, AT) ? { consumer: a.name(1, 'consumer', 1) } : a.number(1, 'start', 1);
  let i = 2;
  const limit = i < n && !a.is(i, NOWAIT) && !a.is(i, WAIT) ? a.number(i++, 'limit', 0) : 0;
  let nowait = false;
  let waitMs = -1;
  for (; i < n; i++) {
    if (a.is(i, NOWAIT) && !nowait) nowait = true;
    else if (a.is(i, WAIT) && waitMs < 0 && i + 1 < n) waitMs = a.number(++i, 'wait', 0);
    else throw usage('READ');
  }
  if (nowait && waitMs >= 0) throw syntax('NOWAIT and WAIT <ms> exclude each other');
  return waitMs < 0 ? { verb: 'READ', log, start, limit, nowait } : { verb: 'READ', log, start, limit, nowait, waitMs };
}
