// Opening a connection to a logd node: plain TCP, or TLS when the node serves TLS. Used by the
// client library and by a node's own followers and peer links.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { nodeTls } from './lazy-builtins.ts';

export interface DialOptions {
  /** Sent with `AUTH` before any other command. */
  token?: string | null;
  /** Connect with TLS (e.g. `{ ca }` for a private CA); null or absent: plain TCP. */
  tls?: ConnectionOptions | null;
}

/** Connects; `onReady` runs once commands can flow (after the TLS handshake, with TLS). */
export function dial(host: string, port: number, tls: ConnectionOptions | null | undefined, onReady: () => void): Socket {
  if (!tls) return netConnect({ host, port }, onReady);
  // SNI carries host names only; an IP address is checked against the certificate's IP entries.
  return nodeTls().connect({ ...tls, host, port, servername: isIP(host) ? undefined : host }, onReady);
}

/** The AUTH line a connection starts with, or nothing. */
export function authLine(token: string | null | undefined): string {
  return token ? `AUTH ${token}\n` : '';
}
