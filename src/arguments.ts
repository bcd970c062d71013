// The one grammar of command-line values, shared by logd, logtool and logtail (and the
// participants file's addresses): sizes like 64M, durations like 90s, whole numbers, and
// HOST:PORT with [v6] brackets, port 0 only where a server listens. A bad value is a UsageError:
// each command prints it with its usage and exits 2.

/** A command-line mistake (bad flag, bad value, missing argument), unlike failures of the work itself. */
export class UsageError extends Error {}

/** Parses `64M`, `1MiB`, `64k`, `65536` (bytes; K, M, G are powers of 1024). */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: not a size: ${text}`);
  const n = Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase());
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag}: out of range: ${text}`);
  return n;
}

const MS_PER = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `500ms`, `90s`, `30m`, `12h`, `7d`, or a bare number of ms; 0 only where `min` is 0. */
export function parseDuration(text: string, flag: string, min = 1): number {
  const m = /^(\d+)\s*(ms|s|m|h|d)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: not a duration (e.g. 90s, 30m, 12h, 7d): ${text}`);
  const n = Number(m[1]) * MS_PER[(m[2] ?? 'ms').toLowerCase() as keyof typeof MS_PER];
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag}: out of range: ${text}`);
  return n;
}

/** A whole number no smaller than min. */
export function parseCount(text: string, flag: string, min: number): number {
  const n = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= min)) throw new UsageError(`${flag}: expected a whole number >= ${min}, got ${text}`);
  return n;
}

/** Where a server listens (port 0: the system picks a free one) or where a client connects (1 and up). */
export type PortUse = 'listen' | 'connect';

/** A port number; 0 only for listening. */
export function parsePort(text: string, flag: string, use: PortUse): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : -1;
  if (port < (use === 'listen' ? 0 : 1) || port > 65535) throw new UsageError(`${flag}: not a port${use === 'listen' ? '' : ' (1-65535)'}: ${text}`);
  return port;
}

/** `HOST:PORT`, `[v6]:PORT`; null when the text is not one. */
export function splitHostPort(text: string, use: PortUse): { host: string; port: number } | null {
  const at = text.lastIndexOf(':');
  if (at <= 0) return null;
  const host = text.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const portText = text.slice(at + 1);
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : -1;
  if (host === '' || port < (use === 'listen' ? 0 : 1) || port > 65535) return null;
  return { host, port };
}

/** `HOST:PORT` or `[v6]:PORT` as a flag's value. */
export function parseHostPort(text: string, flag: string, use: PortUse): { host: string; port: number } {
  const address = splitHostPort(text, use);
  if (address === null) throw new UsageError(`${flag}: expected HOST:PORT${use === 'listen' ? '' : ' (port 1-65535)'}, got ${text}`);
  return address;
}
