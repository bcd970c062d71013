// follow(): every record of a log from `start` on, live, across disconnects.
// Each attempt opens its own connection and sends `READ <log> <next>` (no limit: follow
// forever). When the connection fails the iterator reconnects after a capped exponential
// backoff with jitter and resumes at the last delivered id + 1, so no record is lost or
// delivered twice. Errors the server reports (gone, nolog, auth, ...) end the iterator.
import { LogdError } from '../../protocol/errors.ts';
import { backoffDelay, sleep, type BackoffOptions } from './backoff.ts';
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

/** `start`: the first id wanted, or '$' for the records after the head at the first connection. */
export async function* follow(
  conn: ConnectOptions,
  log: string,
  start: number | '$',
  opts: FollowOptions = {},
): AsyncGenerator<LogRecord, void, undefined> {
  const { signal } = opts;
  let next = start === '$' ? 0 : start;
  let attempt = 0;
  while (!signal?.aborted) {
    let connection: Connection | null = null;
    const abort = () => connection?.destroy();
    signal?.addEventListener('abort', abort);
    try {
      connection = await Connection.open(conn);
      if (signal?.aborted) return;
      if (next === 0) next = Number((await connection.request(`HEAD ${log}\n`)).slice(3)) + 1;
      const stream = new ReadStream(connection, log, true);
      connection.send(`READ ${log} ${next}\n`, stream);
      // next() by hand, not for-await: leaving early must drop the connection, not STOP and wait.
      for (let r = await stream.next(); !r.done; r = await stream.next()) {
        const record = r.value;
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
