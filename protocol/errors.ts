// Every error code the server sends, in one place. A reply is `ERR <code> <text>`.
export const ERROR_CODES = [
  'unknown', // unknown verb
  'syntax', // bad or missing arguments
  'toolong', // control line, payload or batch over its limit
  'nolog', // this node neither owns nor holds that log
  'readonly', // a write to a log this node only replicates
  'gone', // READ start below the first retained id: `ERR gone <first-id>`
  'denied', // command not allowed (e.g. SHUTDOWN without --allow-shutdown)
  'auth', // authentication required or failed
  'diverged', // replica history differs from the source's
  'conflict', // a conditional append whose expected next id is not the log's: `ERR conflict <log> next id is <n>`
  'busy', // too many connections
  'full', // disk full
  'internal', // anything else: I/O error, corrupt record
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The codes a writer may retry the same request after: the server is busy, its disk full, or an
 * I/O error (all may pass). Every other code answers the same whenever it is asked again.
 */
export function isRetryable(code: ErrorCode): boolean {
  return code === 'busy' || code === 'full' || code === 'internal';
}

/** An error that maps onto one `ERR <code> <text>` reply. */
export class LogdError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LogdError';
  }
}

/** Maps a Node/system error (or a LogdError) onto a wire error code. */
export function errorCodeOf(err: unknown): ErrorCode {
  if (err instanceof LogdError) return err.code;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'full';
  return 'internal';
}
