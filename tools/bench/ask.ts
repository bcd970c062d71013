// One request, one reply, on a fresh connection: for set-up and checks, never on a measured path.
import { openSocket } from './load.ts';

/**
 * Connects, sends `request`, and resolves with what `complete` returns once it returns something
 * for the text received so far.
 */
export async function ask<T>(host: string, port: number, request: string | Buffer, complete: (text: string) => T | undefined): Promise<T> {
  const socket = await openSocket(host, port);
  return new Promise<T>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => finish(new Error(`no reply in 30 s to ${String(request).slice(0, 80)}; got ${text.slice(0, 200)}`)), 30_000);
    const finish = (err: Error | null, value?: T): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value as T);
    };
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      try {
        const value = complete(text);
        if (value !== undefined) finish(null, value);
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error(`closed before a reply to ${String(request).slice(0, 80)}: ${text.slice(0, 200)}`)));
    socket.write(request);
  });
}
