// TLS settings from the command line: what the listener serves with, and what this node's own
// outgoing connections (followers, peer links) use. A node serves TLS when --tls-cert and
// --tls-key are set; then every connection to it must speak TLS, and it speaks TLS to its peers,
// trusting --tls-ca (or the system's CAs). Clients authenticate with AUTH, not certificates.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { ServerOptions } from '../options.ts';

export interface NodeTls {
  server: TlsOptions;
  client: ConnectionOptions;
}

/** Reads the PEM files (a clear error naming the flag when one cannot be read); null without TLS. */
export function loadTls(options: ServerOptions): NodeTls | null {
  if (!options.tlsCert || !options.tlsKey) return null;
  const cert = readPem(options.tlsCert, '--tls-cert');
  const key = readPem(options.tlsKey, '--tls-key');
  const ca = options.tlsCa ? readPem(options.tlsCa, '--tls-ca') : undefined;
  return { server: { cert, key, minVersion: 'TLSv1.2' }, client: { ca, minVersion: 'TLSv1.2' } };
}

function readPem(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${flag} ${file}: ${(err as Error).message}`);
  }
}
