// Log and consumer names: 1-64 of A-Z a-z 0-9 . _ -, not starting with '.'.
// Such a name can never escape the data directory ('..' and '/' are impossible).
import { LogdError } from './errors.ts';

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

export function isValidName(name: string): boolean {
  return NAME.test(name);
}

/** The one refusal of a bad name, on the wire and in storage alike: `ERR syntax bad consumer name "c/"`. */
export function badName(what: 'log' | 'consumer' | 'node', text: string): LogdError {
  return new LogdError('syntax', `bad ${what} name "${text}"`);
}

/** The participant that owns a log: the part before the first dot (`alice.status` -> `alice`). */
export function ownerOf(log: string): string {
  const dot = log.indexOf('.');
  return dot < 0 ? log : log.slice(0, dot);
}
