import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Registry } from 'prom-client';
import type { HttpRoutes } from '../src/dashboard/dashboard-api.js';
import type { Logger } from '../src/observability/logger.js';

export interface NodeHttp {
  server: Server;
  port: number;
  close(): Promise<void>;
}


/** A certificate chain and its private key (PEM), for HTTPS. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * One HTTP listener of the node, plain or (with `tls`) HTTPS; `routes` answers what it knows,
 * anything else is 404. `portVariable` names the env var to change in a port-in-use message.
 */
export async function startNodeHttp(opts: {
  host: string; port: number; portVariable: string; routes: HttpRoutes; tls?: TlsFiles;
}): Promise<NodeHttp> {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (opts.routes(req, res, path)) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  };
  // An https.Server is an http.Server underneath (same events, upgrade included).
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? new Error(`HTTP port ${opts.host}:${opts.port} is already in use: stop what holds it or set ${opts.portVariable} to another port (0 picks a free one)`)
      : err));
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * The public listener's own routes: `/healthz` (200 only while dependencies answer). The
 * websocket upgrade at `/ws` is attached to its server by the edge.
 */
export function publicRoutes(opts: { healthy: () => boolean }): HttpRoutes {
  return (req, res, path) => {
    if (req.method !== 'GET' || path !== '/healthz') return false;
    const ok = opts.healthy();
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
    res.end(ok ? 'ok\n' : 'dependencies unreachable\n');
    return true;
  };
}

/**
 * The admin listener (loopback by default): Prometheus `/metrics`, and the dashboard's page and
 * `/api/…`, which check tokens themselves.
 */
export function adminRoutes(opts: { metrics: Registry; dashboard: HttpRoutes; logger: Logger }): HttpRoutes {
  return (req, res, path) => {
    if (req.method === 'GET' && path === '/metrics') {
      opts.metrics.metrics().then(
        (text) => { res.writeHead(200, { 'content-type': opts.metrics.contentType }); res.end(text); },
        (err: unknown) => { opts.logger.error({ err }, 'metrics failed'); res.writeHead(500); res.end(); },
      );
      return true;
    }
    return opts.dashboard(req, res, path);
  };
}
