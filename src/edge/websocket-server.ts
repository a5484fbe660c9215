import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../observability/logger.js';
import type { OrderStatusFeed } from '../status/order-status-feed.js';
import { CLOSE_CODES, serveConnection, type Authenticate, type Connection, type ConnectionLimits, type ConsumerSessions } from './websocket-connection.js';

export type { Authenticate, Principal } from './websocket-connection.js';
export { CLOSE_CODES } from './websocket-connection.js';

export const WEBSOCKET_PATH = '/ws';

export interface WebsocketLimits extends ConnectionLimits {
  /** How often each peer is pinged; one that has not answered the previous ping is cut. */
  heartbeatMs: number;
  /** Open connections on this node, authenticated or not; an upgrade beyond it is refused with 503. */
  maxConnections: number;
  /** Authenticated connections per consumer (token subject) on this node; one more is closed with 4429. */
  maxConnectionsPerConsumer: number;
}

export const DEFAULT_WEBSOCKET_LIMITS: WebsocketLimits = {
  maxBufferedBytes: 1024 * 1024,
  maxFrameBytes: 8 * 1024,
  maxSubscriptions: 100,
  authTimeoutMs: 5_000,
  pendingSubscriptionMs: 10_000,
  heartbeatMs: 30_000,
  maxConnections: 10_000,
  maxConnectionsPerConsumer: 20,
};

export interface WebsocketServer {
  /** Open connections, authenticated or not. */
  connections(): number;
  /** Closes every connection (1001) and stops taking upgrades; the http server keeps running. */
  close(): Promise<void>;
}

// How long close() waits for peers to finish the close handshake before cutting them.
const SHUTDOWN_GRACE_MS = 2_000;

/**
 * Live order status over websocket at `/ws` on the node's HTTP server (which also serves
 * /metrics and health): the protocol is in `websocket-frames.ts`, one client's session in
 * `websocket-connection.ts`.
 *
 * The token may come three ways, all checked by the same `authenticate` as gRPC:
 * - `Authorization: Bearer …` on the upgrade request: for non-browser clients; preferred.
 * - a first frame `{"type":"auth","token":"…"}` within `authTimeoutMs`: for browsers, which
 *   cannot set headers on a websocket; the token travels only inside the encrypted stream.
 * - `?token=…` on the URL: works everywhere, but URLs end up in proxy and access logs and
 *   browser history, so a leaked log leaks live tokens. Accepted for clients that can do
 *   nothing else; this server never logs the URL.
 * The upgrade is always completed, even for a bad token, so every client, browsers included,
 * learns why: an UNAUTHENTICATED error frame, then close code 4401.
 */
export function createWebsocketServer(opts: {
  server: Server;
  feed: OrderStatusFeed;
  authenticate: Authenticate;
  logger: Logger;
  limits?: Partial<WebsocketLimits>;
}): WebsocketServer {
  const limits: WebsocketLimits = { ...DEFAULT_WEBSOCKET_LIMITS, ...opts.limits };
  const logger = opts.logger.child({ component: 'websocket' });
  const live = new Set<Connection>();
  const sessions = consumerSessions(limits.maxConnectionsPerConsumer);
  let nextId = 1;
  // Handshakes under way count against the node's cap too, or a burst could overshoot it.
  let upgrading = 0;
  let closing: Promise<void> | undefined;

  const wss = new WebSocketServer({
    noServer: true,
    // Frames up to maxFrameBytes are answered normally and those a little larger get an error
    // frame; this hard ceiling only stops a peer from making ws buffer megabytes (closes 1009).
    maxPayload: Math.max(limits.maxFrameBytes * 8, 64 * 1024),
    // Checked by the frame parser, so bad UTF-8 gets an error frame instead of a 1007 close.
    skipUTF8Validation: true,
    perMessageDeflate: false,
  });
  wss.on('error', (err) => logger.warn({ err }, 'websocket server error'));

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // An absolute-form target such as `http://[` is not a URL; throwing here would kill the node.
    const url = URL.canParse(req.url ?? '/', 'http://localhost') ? new URL(req.url ?? '/', 'http://localhost') : undefined;
    if (url?.pathname !== WEBSOCKET_PATH) {
      // Another upgrade handler may own that path; if none does, nobody else would ever answer.
      if (opts.server.listenerCount('upgrade') === 1) refuseUpgrade(socket, url ? 404 : 400, url ? 'Not Found' : 'Bad Request');
      return;
    }
    if (live.size + upgrading >= limits.maxConnections) {
      // Refused before the handshake: a flood of connections must not cost a session each.
      logger.warn({ maxConnections: limits.maxConnections }, 'websocket connection refused: node at its connection limit');
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    // ws may abort a bad handshake without calling back: the socket's close ends the count too.
    upgrading++;
    let counted = true;
    const handshakeOver = (): void => { if (counted) { counted = false; upgrading--; } };
    socket.once('close', handshakeOver);
    wss.handleUpgrade(req, socket, head, (ws) => {
      handshakeOver();
      if (closing) {
        // The handshake was under way when close() began.
        ws.close(CLOSE_CODES.goingAway, 'server shutting down');
        return;
      }
      const connection = serveConnection({
        socket: ws,
        token: tokenOf(req, url),
        feed: opts.feed,
        authenticate: opts.authenticate,
        limits,
        sessions,
        logger: logger.child({ connection: nextId++ }),
      });
      live.add(connection);
      void connection.closed.then(() => live.delete(connection));
    });
  }

  opts.server.on('upgrade', onUpgrade);
  const heartbeat = setInterval(() => { for (const connection of live) connection.heartbeat(); }, limits.heartbeatMs);
  heartbeat.unref();

  return {
    connections: () => live.size,
    close: () => {
      closing ??= (async () => {
        clearInterval(heartbeat);
        opts.server.off('upgrade', onUpgrade);
        const all = [...live];
        for (const connection of all) connection.close(CLOSE_CODES.goingAway, 'server shutting down');
        // Each connection cuts its own socket after a short grace; this bound is the backstop.
        await Promise.race([Promise.all(all.map((c) => c.closed)), delay(SHUTDOWN_GRACE_MS)]);
        // ws.close() waits for every tracked client to be gone.
        for (const ws of wss.clients) ws.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      })();
      return closing;
    },
  };
}

/** Header first; the query parameter only for clients that can neither set headers nor send frames first. */
function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const header = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (header?.[1]) return header[1];
  const query = url.searchParams.get('token');
  return query ? query : undefined;
}

function consumerSessions(max: number): ConsumerSessions {
  const open = new Map<string, number>();
  return {
    admit(consumerId) {
      const count = open.get(consumerId) ?? 0;
      if (count >= max) return false;
      open.set(consumerId, count + 1);
      return true;
    },
    leave(consumerId) {
      const count = (open.get(consumerId) ?? 1) - 1;
      if (count <= 0) open.delete(consumerId);
      else open.set(consumerId, count);
    },
  };
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.on('error', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
