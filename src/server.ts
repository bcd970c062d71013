// Wiring: the store, the command loop and the listener of one logd node.
import { readFileSync } from 'node:fs';
import { CRC_IMPLEMENTATION } from '../protocol/crc.ts';
import { fdLimit, planFds } from './fd-limit.ts';
import { nodeCrypto } from './wire/lazy-builtins.ts';
import { Appender } from './loop/appender.ts';
import { AuthThrottle } from './loop/auth-throttle.ts';
import { errorReply } from './loop/failure.ts';
import type { LoopContext } from './loop/context.ts';
import { Loop } from './loop/loop.ts';
import { LogDirectory } from './loop/logs.ts';
import { Stats } from './loop/stats.ts';
import type { Logger } from './logger.ts';
import { Listener } from './net/listener.ts';
import type { StatusServer } from './http/status-server.ts';
import { logsReply, statsReply } from './loop/handlers/info.ts';
import { loadTls } from './net/tls.ts';
import type { ServerOptions } from './options.ts';
import type { Replicator } from './replication/replicator.ts';
import { startRetention } from './replication/retention.ts';
import { ReplicationState } from './replication/state.ts';
import { DIVERGED_FILE } from './replication/diverged-marks.ts';
import { ACK_DIR, Checkpoints } from './storage/checkpoints.ts';
import { StateFile } from './storage/state-file.ts';
import { Store } from './storage/store.ts';

export interface Logd {
  readonly host: string;
  readonly port: number;
  readonly store: Store;
  /** Resolves when the node has stopped (after close() or SHUTDOWN). */
  readonly stopped: Promise<void>;
  /** Graceful stop: no new connections, acknowledged work finished, everything fsync'd and closed. */
  close(): Promise<void>;
}

export async function startLogd(options: ServerOptions, logger: Logger): Promise<Logd> {
  const token = options.tokenFile ? readToken(options.tokenFile) : null;
  const tokenDigest = token === null ? null : nodeCrypto().createHash('sha256').update(token).digest();
  const tls = loadTls(options);
  const started = Date.now();
  const fds = planFds(fdLimit(), options.maxOpenFiles ?? undefined);
  const maxConns = Math.min(options.maxConns, fds.connections);
  logger(
    `files: descriptor limit ${fds.limit}: storage keeps at most ${fds.storageFiles} open, at most ${fds.replicas} replica logs are followed at once, ` +
      `at most ${maxConns} connections${maxConns < options.maxConns ? ` (--max-conns ${options.maxConns} does not fit)` : ''}, at most ${options.maxLogs} logs per namespace`,
  );
  const store = await Store.open({
    dir: options.data,
    fsync: options.fsync,
    chunkBytes: options.chunkBytes,
    maxMsg: options.maxMsg,
    logger,
    openFiles: fds.storageFiles,
    maxLogs: options.maxLogs,
  });
  let listener: Listener | null = null;
  let status: StatusServer | null = null;
  try {
    // Every change to a log goes through this one object (loop/logs.ts).
    const logs = new LogDirectory(store, options.id);
    // A damaged own log stays closed (store.damage answers for it) and a full disk cannot create
    // it yet (its first write will): the node starts anyway, to serve what it can.
    await logs.create(options.id).catch((err: NodeJS.ErrnoException) => {
      if (store.damage(options.id)) return;
      if (err.code !== 'ENOSPC') throw err;
      logger(`cannot create log ${options.id} yet: ${err.message}`);
    });
    const stats = new Stats();
    let closing: Promise<void> | null = null;
    let markStopped!: () => void;
    const stopped = new Promise<void>((resolve) => (markStopped = resolve));
    const replication = new ReplicationState(Checkpoints.load(options.data, ACK_DIR), logger);
    let replicator: Replicator | null = null;
    let stopRetention: (() => Promise<void>) | null = null;
    const ctx: LoopContext = {
      options,
      store,
      logs,
      replication,
      stats,
      appender: new Appender((err) => errorReply(ctx, err), stats),
      logger,
      tokenDigest,
      authThrottle: new AuthThrottle(),
      connections: () => listener?.connections.size ?? 0,
      shutdown: () => void close(),
    };
    const loop = new Loop(ctx);
    listener = new Listener(
      loop,
      {
        host: options.host,
        port: options.port,
        maxConns,
        idleTimeoutMs: options.idleTimeoutMs,
        limits: { maxLine: options.maxLine, maxMsg: options.maxMsg, maxBatch: options.maxBatch },
        slowConsumer: { maxPending: options.maxPending, writeDeadlineMs: options.writeDeadlineMs },
        tls: tls?.server ?? null,
      },
      logger,
    );
    const address = await listener.listen();
    const close = (): Promise<void> => {
      closing ??= (async () => {
        logger('shutting down');
        await status?.close();
        await stopRetention?.();
        await replicator?.stop();
        await listener!.close();
        await ctx.appender.idle();
        await replication.close();
        await store.close();
        logger('stopped');
        markStopped();
      })();
      return closing;
    };
    if (options.http) {
      const view = {
        id: options.id,
        listen: `${address.address}:${address.port}`,
        statsReply: () => statsReply(ctx),
        logsReply: () => logsReply(ctx),
        peers: () => replication.peers,
      };
      // Loaded here: node:http and the page cost ~1 MB of RSS that a node without --http keeps for nothing.
      const { startStatusServer } = await import('./http/status-server.ts');
      status = await startStatusServer(options.http, view, logger);
      logger(`status page at http://${status.address}/ (Prometheus metrics at /metrics)`);
    }
    if (options.peers) {
      // Loaded here: a node without --peers never runs followers or peer links.
      const { Replicator } = await import('./replication/replicator.ts');
      replicator = new Replicator({
        logs,
        divergedFile: new StateFile(options.data, DIVERGED_FILE),
        state: replication,
        nodeId: options.id,
        logger,
        self: { host: address.address, port: address.port },
        maxReplicas: fds.replicas,
        dial: { token, tls: tls?.client ?? null },
        limits: { maxLine: options.maxLine, maxMsg: options.maxMsg },
      });
      await replicator.start(options.peers);
    }
    const retain = {
      bytes: options.retainBytes,
      ageMs: options.retainAgeMs,
      untilReplicated: options.retainUntilReplicated,
      untilConsumed: options.retainUntilConsumed,
    };
    if (retain.bytes || retain.ageMs) stopRetention = startRetention(retain, logs, replication, logger);
    logger(
      `logd ${options.id} listening on ${address.address}:${address.port} ` +
        `(data ${options.data}, fsync ${options.fsync.mode === 'interval' ? `interval:${options.fsync.ms}` : options.fsync.mode}${tls ? ', TLS' : ''}${token ? ', AUTH required' : ''}, ` +
        `${store.names().length} logs, CRC ${CRC_IMPLEMENTATION}, started in ${Date.now() - started} ms)`,
    );
    return { host: address.address, port: address.port, store, stopped, close };
  } catch (err) {
    await status?.close();
    await listener?.close();
    await store.close();
    throw err;
  }
}

/** The token: the file's first line (followers send it to their peers). */
function readToken(file: string): string {
  const token = readFileSync(file, 'utf8').split(/\r?\n/)[0]!.trim();
  if (!token) throw new Error(`--token-file ${file}: the first line is empty`);
  return token;
}
