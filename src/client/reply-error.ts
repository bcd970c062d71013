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

/** The LogdError an `ERR <code> <text>` line stands for, or null for any other line. */
export function replyError(line: string): LogdError | null {
  if (!line.startsWith('ERR ')) return null;
  const space = line.indexOf(' ', 4);
  const word = space < 0 ? line.slice(4) : line.slice(4, space);
  const text = space < 0 ? '' : line.slice(space + 1);
  const next = word === 'conflict' ? NEXT_ID.exec(text) : null;
  if (next) return new ConflictError(text, Number(next[1]));
  const known = (ERROR_CODES as readonly string[]).includes(word);
  return new LogdError(known ? (word as ErrorCode) : 'internal', known ? text : line.slice(4));
}
