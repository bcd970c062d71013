// The status port (--http HOST:PORT): GET /metrics (Prometheus), / (the status page, plain
// files from ./page), /status.json (what the page polls). Unauthenticated and read-only: it
// reads the node through a NodeView and changes nothing. Bounded whatever clients do: few
// connections, small request heads, deadlines on slow requests and idle sockets, no request
// bodies read, and node:http stops reading a socket whose responses are not being taken.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.ts';
import { renderMetrics } from './metrics.ts';
import { Sampler, statusJson } from './status.ts';
import { snapshot, type NodeView } from './view.ts';

const MAX_CONNECTIONS = 32;
const LIMITS = { maxHeaderSize: 8192, headersTimeout: 5000, requestTimeout: 10_000, keepAliveTimeout: 5000 };
/** A socket with no traffic either way for this long is closed (also one whose reader stalled). */
const SOCKET_TIMEOUT_MS = 30_000;

const PAGE_FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/page.js': ['page.js', 'text/javascript; charset=utf-8'],
  '/page.css': ['page.css', 'text/css; charset=utf-8'],
};

export interface StatusServer {
  /** The address it listens on, HOST:PORT. */
  readonly address: string;
  close(): Promise<void>;
}

export async function startStatusServer(where: { host: string; port: number }, view: NodeView, logger: Logger): Promise<StatusServer> {
  const page = loadPage();
  const sampler = new Sampler(view);
  // Requests answered in the same turn of the event loop (pipelined, or many clients at once)
  // share one rendering: a flood of scrapes costs the node's loop little more than one.
  const metrics = oncePerTurn(() => renderMetrics(view.id, snapshot(view)));
  const status = oncePerTurn(() => statusJson(view, snapshot(view), sampler.samples()));

  const server = createServer(LIMITS, (req, res) => {
    try {
      serve(req, res);
    } catch (err) {
      logger(`status port: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    }
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.setTimeout(SOCKET_TIMEOUT_MS, (socket) => socket.destroy());

  function serve(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      res.shouldKeepAlive = false; // the body, if any, is never read
      return send(res, 405, 'text/plain', 'only GET and HEAD\n');
    }
    const path = (req.url ?? '/').replace(/\?.*$/, '');
    if (path === '/metrics') return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', metrics());
    if (path === '/status.json') return send(res, 200, 'application/json', status());
    const file = page.get(path);
    if (file) return send(res, 200, file[1], file[0]);
    send(res, 404, 'text/plain', 'not found\n');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`--http ${where.host}:${where.port}: ${err.message}`)));
    server.listen(where.port, where.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  server.on('error', (err) => logger(`status port: ${err.message}`));
  sampler.start();
  const { address, port } = server.address() as AddressInfo;
  return {
    address: `${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () => {
      sampler.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}

/**
 * The page files, read once. They sit next to this module (src/http/page/); a compiled copy of
 * it (dist/src/http/) finds them there when the build copied them, else in the sources.
 */
function loadPage(): Map<string, [Buffer, string]> {
  const dirs = [new URL('./page/', import.meta.url), new URL('../../../src/http/page/', import.meta.url)];
  const dir = dirs.find((d) => existsSync(new URL('index.html', d)));
  if (!dir) throw new Error(`--http: the status page files are missing (looked in ${dirs.map((d) => fileURLToPath(d)).join(' and ')})`);
  const page = new Map<string, [Buffer, string]>();
  for (const [path, [file, type]] of Object.entries(PAGE_FILES)) page.set(path, [readFileSync(new URL(file, dir)), type]);
  return page;
}

function oncePerTurn(render: () => string): () => string {
  let body: string | null = null;
  return () => {
    if (body === null) {
      body = render();
      setImmediate(() => (body = null));
    }
    return body;
  };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'self'",
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
