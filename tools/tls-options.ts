// --tls / --tls-ca FILE, shared by logtool and logtail: how to reach a node started with --tls-cert.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

export const TLS_HELP = `--tls (verify the server against the system's CAs) or --tls-ca FILE (against that CA)`;

/** The client's `tls` option for the flags, or undefined for plain TCP. */
export function tlsOptions(tls: boolean | undefined, caFile: string | undefined): ConnectionOptions | undefined {
  if (caFile !== undefined) return { ca: readFileSync(caFile) };
  return tls ? {} : undefined;
}
