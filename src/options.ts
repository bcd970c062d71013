// The logd command line: flags, defaults and --help.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { isValidName } from '../protocol/names.ts';
import { parseCount, parseDuration, parseHostPort, parseSize, UsageError } from './arguments.ts';
import { DEFAULT_LIMITS } from '../protocol/parser.ts';
import { DEFAULT_CHUNK_BYTES } from './storage/chunk.ts';
import { parseFsyncPolicy, type FsyncPolicy } from './storage/policy.ts';

export interface ServerOptions {
  id: string;
  data: string;
  host: string;
  port: number;
  peers: string | null;
  /** Parsed here, once: a bad --fsync is a usage error (exit 2), never a protocol error. */
  fsync: FsyncPolicy;
  chunkBytes: number;
  maxLine: number;
  maxMsg: number;
  maxBatch: number;
  maxConns: number;
  idleTimeoutMs: number;
  tokenFile: string | null;
  /** With a token: HEAD, READ, SUBSCRIBE, UNSUBSCRIBE, LOGS and STATS need no AUTH. */
  publicRead: boolean;
  /** TLS for every connection, in and out (followers), when cert and key are set; ca: whom followers trust. */
  tlsCert: string | null;
  tlsKey: string | null;
  tlsCa: string | null;
  /** Undelivered push bytes of a client that takes no output, past which it is disconnected. */
  maxPending: number;
  /** Disconnect a client whose waiting output has not moved for this long (0 = never). */
  writeDeadlineMs: number;
  allowShutdown: boolean;
  /** Retention per log: bytes (0 = no limit), age in ms (0 = no limit), writer waits for every participant's ACK. */
  retainBytes: number;
  retainAgeMs: number;
  retainUntilReplicated: boolean;
  /** Retention keeps every chunk a consumer with a checkpoint on the log has not passed. */
  retainUntilConsumed: boolean;
  /** Most logs per namespace (this node's own, and each participant's replicated here). */
  maxLogs: number;
  /** Descriptors storage keeps open, all logs together; null: a quarter of the fd limit. */
  maxOpenFiles: number | null;
  /** The status port (--http): /metrics and the status page; null = off. */
  http: { host: string; port: number } | null;
}

export const HELP = `Usage: logd [options]

A networked, sequenced log server. Owns the log named by --id and every <id>.<suffix> log.

Options:
  --id NAME              node id, and the name of the log it owns (default: host name up to its first dot)
  --data DIR             data directory (default: ./data)
  --listen HOST:PORT     address to listen on (default: 127.0.0.1:1774; port 0 picks a free one)
  --peers FILE           participants file: "<name> <host:port>" per line; re-read when it changes
  --fsync POLICY         always | interval:MS | none (default: always: OK means on disk)
  --chunk-bytes N        roll chunk files at this size (default: ${DEFAULT_CHUNK_BYTES >> 20}MiB)
  --max-line N           longest control line in bytes (default: ${DEFAULT_LIMITS.maxLine})
  --max-msg N            largest record payload (default: ${DEFAULT_LIMITS.maxMsg >> 20}MiB)
  --max-batch N          largest total of one APPEND (default: ${DEFAULT_LIMITS.maxBatch >> 20}MiB)
  --max-conns N          most simultaneous connections (default: 10000)
  --idle-timeout MS      close connections that send and stream nothing for MS (default: 0, off)
  --token-file FILE      require AUTH <token> (the file's first line) before any command but PING,
                         AUTH, CLOSE, STOP; followers send it to their peers
  --public-read          with --token-file: HEAD, READ, SUBSCRIBE, LOGS, STATS need no AUTH
  --tls-cert FILE        serve TLS with this certificate chain (PEM); followers connect with TLS
  --tls-key FILE         the private key of --tls-cert (PEM)
  --tls-ca FILE          CA certificates (PEM) followers trust for their peers (default: the system's)
  --max-pending N        disconnect a subscriber once N bytes of pushes wait for it (default: 1MiB)
  --write-deadline MS    disconnect a client whose waiting output has not moved for MS (default: 0, off)
  --allow-shutdown       let the SHUTDOWN command stop the server
  --retain-bytes N       keep at most N bytes per log: older whole chunks are deleted (default: no limit)
  --retain-age DURATION  delete whole chunks whose newest record is older, e.g. 90s, 30m, 12h, 7d (default: none)
  --retain-until-replicated
                         on logs this node writes, delete only chunks every participant has acknowledged
  --retain-until-consumed
                         delete only chunks every consumer with a checkpoint on the log has passed
  --max-logs N           most logs per namespace: this node's own, and each participant's replicated
                         here (default: 10000); a write that would create one more answers ERR full,
                         and a replica past it is not created (one stderr line)
  --max-open-files N     chunk and index files kept open, all logs together; idle ones are closed
                         and reopened on demand (default: a quarter of the process's file descriptor
                         limit, ulimit -n). Replication follows at most a quarter of that limit of
                         replica logs at once (each holds a connection); the rest is for connections
                         (--max-conns is lowered to fit; the start line says the figures)
  --http HOST:PORT       serve a status port: GET /metrics (Prometheus text format) and / (a status
                         page of this node, its participants and logs, with live charts); read-only
                         and unauthenticated, so bind it where only operators reach it (default: off)
  --help                 show this text
  --version              print the version

Sizes accept K, M, G suffixes (powers of 1024), e.g. 64M or 64MiB.
`;

export function defaultId(): string {
  const name = hostname()
    .split('.')[0]!
    .replace(/[^A-Za-z0-9_-]/g, '-');
  return isValidName(name) ? name : 'logd';
}

/** Returns the options, or which of --help and --version was asked for. Throws on bad flags (a usage error). */
export function parseOptions(argv: string[]): ServerOptions | 'help' | 'version' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      id: { type: 'string' },
      data: { type: 'string', default: './data' },
      listen: { type: 'string', default: '127.0.0.1:1774' },
      peers: { type: 'string' },
      fsync: { type: 'string', default: 'always' },
      'chunk-bytes': { type: 'string', default: String(DEFAULT_CHUNK_BYTES) },
      'max-line': { type: 'string', default: String(DEFAULT_LIMITS.maxLine) },
      'max-msg': { type: 'string', default: String(DEFAULT_LIMITS.maxMsg) },
      'max-batch': { type: 'string', default: String(DEFAULT_LIMITS.maxBatch) },
      'max-conns': { type: 'string', default: '10000' },
      'idle-timeout': { type: 'string', default: '0' },
      'token-file': { type: 'string' },
      'public-read': { type: 'boolean', default: false },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-ca': { type: 'string' },
      'max-pending': { type: 'string', default: '1M' },
      'write-deadline': { type: 'string', default: '0' },
      'allow-shutdown': { type: 'boolean', default: false },
      'retain-bytes': { type: 'string' },
      'retain-age': { type: 'string' },
      'retain-until-replicated': { type: 'boolean', default: false },
      'retain-until-consumed': { type: 'boolean', default: false },
      'max-logs': { type: 'string', default: '10000' },
      'max-open-files': { type: 'string' },
      http: { type: 'string' },
      help: { type: 'boolean', default: false },
      version: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  if (values.version) return 'version';
  const id = values.id ?? defaultId();
  if (!isValidName(id) || id.includes('.')) throw new UsageError(`--id: not a valid node id (1-64 of A-Z a-z 0-9 _ -): ${id}`);
  const { host, port } = parseHostPort(values.listen!, '--listen', 'listen');
  let fsync: FsyncPolicy;
  try {
    fsync = parseFsyncPolicy(values.fsync!);
  } catch (err) {
    throw new UsageError(`--fsync: ${(err as Error).message}`);
  }
  const options: ServerOptions = {
    id,
    data: values.data!,
    host,
    port,
    peers: values.peers ?? null,
    fsync,
    chunkBytes: parseSize(values['chunk-bytes']!, '--chunk-bytes'),
    maxLine: parseSize(values['max-line']!, '--max-line'),
    maxMsg: parseSize(values['max-msg']!, '--max-msg'),
    maxBatch: parseSize(values['max-batch']!, '--max-batch'),
    maxConns: parseCount(values['max-conns']!, '--max-conns', 1),
    idleTimeoutMs: parseCount(values['idle-timeout']!, '--idle-timeout', 0),
    tokenFile: values['token-file'] ?? null,
    publicRead: values['public-read']!,
    tlsCert: values['tls-cert'] ?? null,
    tlsKey: values['tls-key'] ?? null,
    tlsCa: values['tls-ca'] ?? null,
    maxPending: parseSize(values['max-pending']!, '--max-pending'),
    writeDeadlineMs: parseCount(values['write-deadline']!, '--write-deadline', 0),
    allowShutdown: values['allow-shutdown']!,
    retainBytes: values['retain-bytes'] === undefined ? 0 : parseSize(values['retain-bytes'], '--retain-bytes'),
    retainAgeMs: values['retain-age'] === undefined ? 0 : parseDuration(values['retain-age'], '--retain-age'),
    retainUntilReplicated: values['retain-until-replicated']!,
    retainUntilConsumed: values['retain-until-consumed']!,
    maxLogs: parseCount(values['max-logs']!, '--max-logs', 1),
    maxOpenFiles: values['max-open-files'] === undefined ? null : parseCount(values['max-open-files'], '--max-open-files', 4),
    http: values.http === undefined ? null : parseHostPort(values.http, '--http', 'listen'),
  };
  if (options.maxMsg > options.maxBatch) options.maxBatch = options.maxMsg;
  if (!options.tlsCert !== !options.tlsKey) throw new UsageError('--tls-cert and --tls-key go together');
  if (options.tlsCa && !options.tlsCert) throw new UsageError('--tls-ca needs --tls-cert and --tls-key');
  if (options.publicRead && !options.tokenFile) throw new UsageError('--public-read needs --token-file');
  return options;
}
