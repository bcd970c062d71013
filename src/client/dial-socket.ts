// The client's connect: a socket once it can carry commands (after the TLS handshake), or a
// ConnectionError (the client's error for a failed connection) with the system's code.
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { dial } from '../wire/dial.ts';
import { ConnectionError } from './reply-error.ts';

/** A connected socket (TLS handshake done), or a ConnectionError. */
export function dialSocket(host: string, port: number, opts: { tls?: ConnectionOptions | null; connectTimeoutMs?: number }): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = dial(host, port, opts.tls, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectionError('ETIMEDOUT', `connect to ${host}:${port} timed out`));
    }, opts.connectTimeoutMs ?? 10_000);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new ConnectionError(codeOf(err), `cannot connect to ${host}:${port}: ${err.message}`));
    });
  });
}

export function codeOf(err: Error): string {
  return (err as NodeJS.ErrnoException).code ?? 'ECONN';
}
