// Server-wide counters reported by STATS.
import type { ErrorCode } from '../../protocol/errors.ts';

export class Stats {
  readonly startedAt = Date.now();
  connectionsTotal = 0;
  /** READ and REPLICATE streams running now; they share the read budget. */
  streams = 0;
  recordsIn = 0;
  bytesIn = 0;
  recordsOut = 0;
  bytesOut = 0;
  /** AUTH with a wrong token. */
  authFailures = 0;
  /** Connections closed for not taking their output (slow consumers, write deadline). */
  slowConsumers = 0;
  /** TLS handshakes that failed (e.g. a plain-text client on a TLS port). */
  tlsFailures = 0;
  readonly commands = new Map<string, number>();
  readonly errors = new Map<ErrorCode, number>();

  command(verb: string): void {
    this.commands.set(verb, (this.commands.get(verb) ?? 0) + 1);
  }

  error(code: ErrorCode): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }
}
