// follow(): every record of a log from `start` on, live, across disconnects.
// Each attempt opens its own connection and sends `READ <log> <next>` (no limit: follow
// forever), or `READ <log> @<consumer>` to start after a consumer's checkpoint on the server.
// When the connection fails the iterator reconnects after a capped exponential
// backoff with jitter and resumes at the last delivered id + 1, so no record is lost or
// delivered twice. Errors the server reports (gone, nolog, auth, ...) end the iterator.
import { LogdError } from '../../protocol/errors.ts';
import { backoffDelay, sleep, type BackoffOptions } from '../wire/backoff.ts';
import { Connection, type ConnectOptions } from './connection.ts';
import { clientError, ConnectionError } from './reply-error.ts';
import { ReadStream } from './read-stream.ts';
import type { LogRecord } from './types.ts';

export interface FollowOptions extends BackoffOptions {
  /** Ends the iterator (done) when aborted. */
  signal?: AbortSignal;
  /** Told about each failed attempt before waiting `delayMs` to retry. */
  onRetry?: (err: Error, delayMs: number) => void;
}

/**
 * `start`: the first id wanted, '$' for the records after the head at the first connection, or
 * `{ consumer }` for the records after that consumer's checkpoint (the server's, when the first
 * record comes; until then every attempt asks for it again).
 */
export async function* follow(
  conn: ConnectOptions,
  log: string,
  start: number | '$' | { consumer: string },
  opts: FollowOptions = {},
): AsyncGenerator<LogRecord, void, undefined> {
  const { signal } = opts;
  /** The next id to deliver; 0 until known. */
  let next = typeof start === 'number' ? start : 0;
  let attempt = 0;
  while (!signal?.aborted) {
    let connection: Connection | null = null;
    const abort = () => connection?.destroy();
    signal?.addEventListener('abort', abort);
    try {
      connection = await Connection.open(conn);
      if (signal?.aborted) return;
      if (next === 0 && start === '$') next = Number((await connection.request(`HEAD ${log}\n`)).slice(3)) + 1;
      const stream = new ReadStream(connection, log, true);
      connection.send(`READ ${log} ${next === 0 ? `@${(start as { consumer: string }).consumer}` : next}\n`, stream);
      // next() by hand, not for-await: leaving early must drop the connection, not STOP and wait.
      for (let r = await stream.next(); !r.done; r = await stream.next()) {
        const record = r.value;
        if (next === 0) next = record.id; // the server started after the consumer's checkpoint
        if (record.id < next) continue;
        if (record.id > next) throw clientError('internal', `${log}: expected record ${next}, got ${record.id}`);
        attempt = 0;
        next = record.id + 1;
        yield record;
      }
      throw new ConnectionError('ECLOSED', 'the server ended the stream');
    } catch (err) {
      if (signal?.aborted) return;
      if (err instanceof LogdError && err.code !== 'busy') throw err;
      const delay = backoffDelay(attempt++, opts);
      opts.onRetry?.(err as Error, delay);
      await sleep(delay, signal);
    } finally {
      signal?.removeEventListener('abort', abort);
      connection?.destroy();
    }
  }
}
