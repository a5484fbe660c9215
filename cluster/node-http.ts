import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../src/observability/logger.js';

export interface NodeHttp {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * The node's HTTP side: Prometheus `/metrics`, `/healthz` (200 only while dependencies answer),
 * the websocket upgrade at `/ws` (attached by the caller to `server`), and whatever `routes`
 * takes (the dashboard): it answers true for a request it handles.
 */
export async function startNodeHttp(opts: {
  host: string; port: number; metrics: Registry; healthy: () => boolean; logger: Logger;
  routes?: (req: IncomingMessage, res: ServerResponse, path: string) => boolean;
}): Promise<NodeHttp> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/metrics') {
      opts.metrics.metrics().then(
        (text) => { res.writeHead(200, { 'content-type': opts.metrics.contentType }); res.end(text); },
        (err: unknown) => { opts.logger.error({ err }, 'metrics failed'); res.writeHead(500); res.end(); },
      );
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      const ok = opts.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'dependencies unreachable\n');
      return;
    }
    if (opts.routes?.(req, res, path)) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
      ? new Error(`HTTP port ${opts.host}:${opts.port} is already in use: stop what holds it or set HTTP_PORT to another port (0 picks a free one)`)
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
