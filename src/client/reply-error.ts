// The two ways a request fails: the server answered `ERR <code> <text>` (a LogdError, from
// protocol/errors.ts), or the connection itself failed (a ConnectionError).
import { ERROR_CODES, LogdError, type ErrorCode } from '../../protocol/errors.ts';

/** The connection could not be made, was lost, or the server sent bytes that make no sense. */
export class ConnectionError extends Error {
  constructor(
    /** A system code (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...) or ECLOSED / EPROTO. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** `ERR conflict <log> next id is <n>`: a conditional append was refused; nothing was stored. */
export class ConflictError extends LogdError {
  constructor(
    message: string,
    /** The log's next id when the append was refused. */
    readonly nextId: number,
  ) {
    super('conflict', message);
    this.name = 'ConflictError';
  }
}

const NEXT_ID = / next id is (\d+)$/;

/**
 * The LogdError an `ERR <code> <text>` line stands for, or null for any other line. Its message
 * reads as a sentence led by the code: `nolog: this node holds no log "bob"`.
 */
export function replyError(line: string): LogdError | null {
  if (!line.startsWith('ERR ')) return null;
  const space = line.indexOf(' ', 4);
  const word = space < 0 ? line.slice(4) : line.slice(4, space);
  const text = space < 0 ? '' : line.slice(space + 1);
  const next = word === 'conflict' ? NEXT_ID.exec(text) : null;
  if (next) return new ConflictError(`conflict: ${text}`, Number(next[1]));
  if (!(ERROR_CODES as readonly string[]).includes(word)) return clientError('internal', `server error ${line.slice(4)}`);
  return clientError(word as ErrorCode, readable(word as ErrorCode, text));
}

/** A LogdError raised by the client, its message led by the code like the server's. */
export function clientError(code: ErrorCode, text: string): LogdError {
  return new LogdError(code, `${code}: ${text}`);
}

/** The wire texts that are only a value, put in words (PROTOCOL.md, Errors). */
function readable(code: ErrorCode, text: string): string {
  if (code === 'nolog') return `this node holds no log "${text}"`;
  if (code === 'gone') return `the records before ${text} are no longer retained (trimmed or expired)`;
  return text;
}

/**
 * Gives an error that arrived through the socket's event handler the stack of the code awaiting
 * it (V8 adds the awaiting callers' `async` frames), so that it points at the caller's line.
 * A lost connection fails every pending call with one ConnectionError: each gets its own copy.
 */
export function atCaller<E extends Error>(err: E): E {
  const own = err instanceof ConnectionError ? (new ConnectionError(err.code, err.message) as Error as E) : err;
  Error.captureStackTrace(own);
  return own;
}
