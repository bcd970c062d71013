// Accepts client connections (plain TCP, or TLS when configured), enforces the connection limit
// and the idle timeout.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import { nodeTls } from '../wire/lazy-builtins.ts';
import type { ParserLimits } from '../../protocol/parser.ts';
import type { Logger } from '../logger.ts';
import { ClientConnection, type ClientConnectionHost } from './connection.ts';
import type { SlowConsumerLimits } from './slow-consumer.ts';

/** A TLS client that has not finished its handshake by then is dropped. */
const TLS_HANDSHAKE_MS = 10_000;

export interface ListenerOptions {
  host: string;
  port: number;
  maxConns: number;
  idleTimeoutMs: number;
  limits: ParserLimits;
  slowConsumer: SlowConsumerLimits;
  /** Serve TLS with these settings; null: plain TCP. */
  tls: TlsOptions | null;
}

/** What the listener needs from the server: what a connection needs, and two counters. */
export interface ListenerHost extends ClientConnectionHost {
  accepted(): void;
  tlsFailed(): void;
}

export class Listener {
  readonly connections = new Set<ClientConnection>();
  private readonly server: Server;

  constructor(
    host: ListenerHost,
    private readonly options: ListenerOptions,
    private readonly logger: Logger,
  ) {
    const accept = (socket: Socket) => {
      if (this.connections.size >= options.maxConns) {
        socket.on('error', () => socket.destroy());
        socket.end(host.errorLine('busy', `too many connections (${options.maxConns})`));
        return;
      }
      host.accepted();
      const conn = new ClientConnection(socket, host, options.limits, options.slowConsumer, (c) => this.connections.delete(c));
      this.connections.add(conn);
      if (options.idleTimeoutMs > 0) {
        socket.setTimeout(options.idleTimeoutMs);
        socket.on('timeout', () => {
          if (conn.closeIfIdle()) logger(`closed idle connection ${conn.remote}`);
        });
      }
    };
    const socketOptions = { noDelay: true, allowHalfOpen: true };
    if (options.tls) {
      this.server = nodeTls().createServer({ ...socketOptions, ...options.tls, handshakeTimeout: TLS_HANDSHAKE_MS }, accept);
      // A client that does not speak TLS, fails its handshake or takes too long is counted and
      // dropped; node:tls leaves such a socket open (and its connection slot taken) under
      // allowHalfOpen unless it is destroyed here.
      this.server.on('tlsClientError', (_err, socket) => {
        host.tlsFailed();
        socket.destroy();
      });
      // Handshakes in progress count too, so that half-open ones cannot pile up: past --max-conns
      // node drops the socket (an `ERR busy` could not be read before the handshake anyway).
      this.server.maxConnections = options.maxConns;
    } else {
      this.server = createServer(socketOptions, accept);
    }
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.logger(`listener error: ${err.message}`));
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /**
   * Stops accepting and ends every connection gracefully; connections whose client does not take
   * its last replies within graceMs are dropped. Resolves when all are closed.
   */
  async close(graceMs = 5000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const conn of this.connections) conn.shutdown();
    const timer = setTimeout(() => {
      for (const conn of this.connections) conn.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
  }
}
