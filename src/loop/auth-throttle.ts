// Failed AUTH attempts are answered slowly, so guessing a token is slow and cheap for the server:
// the answer to a wrong token waits 250 ms, and wrong-token answers leave at most one per 20 ms
// server-wide (many connections guessing at once wait in line). The connection closes after
// that answer (handlers/session.ts), so a guesser holds a connection slot only while it waits,
// and each further guess costs a new connection.
const DELAY_MS = 250;
const SPACING_MS = 20;

export class AuthThrottle {
  private nextAt = 0;

  /** Records a failed attempt; returns how long to wait before answering it. */
  failed(): number {
    const now = Date.now();
    this.nextAt = Math.max(now + DELAY_MS, this.nextAt + SPACING_MS);
    return this.nextAt - now;
  }
}
