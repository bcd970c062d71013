// Failed AUTH attempts are answered slowly, so guessing a token is slow and cheap for the server:
// the answer to a connection's n-th wrong token waits 250 ms * 2^(n-1), at most 5 s, and wrong-
// token answers leave at most one per 20 ms server-wide (many connections guessing at once wait
// in line). A connection's commands are answered in order, so it cannot pipeline past the wait.
import type { Session } from './session.ts';

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5000;
const SPACING_MS = 20;

export class AuthThrottle {
  private readonly failures = new WeakMap<Session, number>();
  private nextAt = 0;

  /** Records a failed attempt; returns how long to wait before answering it. */
  failed(session: Session): number {
    const n = (this.failures.get(session) ?? 0) + 1;
    this.failures.set(session, n);
    const now = Date.now();
    this.nextAt = Math.max(now + Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (n - 1)), this.nextAt + SPACING_MS);
    return this.nextAt - now;
  }

  succeeded(session: Session): void {
    this.failures.delete(session);
  }
}
