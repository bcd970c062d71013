// What the tools say about an outage (the server unreachable, busy, out of disk): one line when
// it starts and one when work goes on again, however many attempts lie between.
import { LogdError } from '../protocol/errors.ts';

export class OutageNotice {
  private failures = 0;
  private since = 0;

  constructor(private readonly say: (line: string) => void) {}

  /** Failed attempts since the last success (the next backoff's attempt number). */
  get attempts(): number {
    return this.failures;
  }

  /** An attempt failed: the first of an outage is said. */
  failed(err: unknown): void {
    if (this.failures++ > 0) return;
    this.since = Date.now();
    this.say(`${err instanceof LogdError ? `server: ${err.message}` : (err as Error).message}; retrying`);
  }

  /** Work went on (`what` again, e.g. "shipping"): the end of an outage is said. */
  succeeded(what: string): void {
    if (this.failures === 0) return;
    this.say(`${what} again after ${((Date.now() - this.since) / 1000).toFixed(1)} s (${this.failures} failed attempts)`);
    this.failures = 0;
  }
}
