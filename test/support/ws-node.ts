import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { OrderView } from '../../src/domain/order-view.js';
import { createWebsocketServer, type Principal, type WebsocketLimits, type WebsocketServer } from '../../src/edge/websocket-server.js';
import type { OrderStatus } from '../../src/domain/order.js';
import type { ServerFrame } from '../../src/edge/websocket-frames.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMemoryStatusFeed, type MemoryStatusFeed } from './memory-status-feed.js';
import type { OrderStatusFeed } from '../../src/status/order-status-feed.js';
import { openClient, type TestClient } from './ws-test-client.js';

/*
 * The websocket edge on its own, for the websocket tests: an HTTP server with the websocket
 * server attached, an in-memory status feed, fixed tokens (alice, bob, an admin, an expiring carol).
 */
const PRINCIPALS: Record<string, Principal> = {
  'token-alice': { consumerId: 'alice', admin: false },
  'token-bob': { consumerId: 'bob', admin: false },
  'token-admin': { consumerId: 'ops', admin: true },
};
/** `token-carol-expires-in-<ms>`: carol, with a token that expires that long after it is checked. */
const EXPIRING = /^token-carol-expires-in-(\d+)$/;

const authenticate = async (token: string): Promise<Principal> => {
  await delay(5); // a real check is asynchronous: frames sent meanwhile must wait for it
  const expiring = EXPIRING.exec(token);
  if (expiring) return { consumerId: 'carol', admin: false, expiresAtMs: Date.now() + Number(expiring[1]) };
  const principal = PRINCIPALS[token];
  if (!principal) throw new Error('bad token');
  return principal;
};

export const PENDING_MS = 300;
export const AUTH_TIMEOUT_MS = 300;

export interface WsNode { http: Server; feed: MemoryStatusFeed; ws: WebsocketServer; url: string }
let node: WsNode | undefined;
const clients: TestClient[] = [];

/** A websocket server on a plain HTTP server, fed by an in-memory status feed; one at a time. */
export async function startNode(limits: Partial<WebsocketLimits> = {}, opts: { wrapFeed?: (feed: MemoryStatusFeed) => OrderStatusFeed } = {}): Promise<WsNode> {
  const http = createServer((req, res) => {
    res.writeHead(req.url === '/metrics' ? 200 : 404).end(req.url === '/metrics' ? 'metrics here' : '');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const feed = createMemoryStatusFeed();
  const ws = createWebsocketServer({
    server: http, feed: opts.wrapFeed?.(feed) ?? feed, authenticate, logger: silentLogger(),
    limits: { pendingSubscriptionMs: PENDING_MS, authTimeoutMs: AUTH_TIMEOUT_MS, ...limits },
  });
  node = { http, feed, ws, url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}` };
  return node;
}

/** For afterEach: closes the clients and the node of the test that ran. */
export async function stopWsNode(): Promise<void> {
  for (const client of clients.splice(0)) client.ws.terminate();
  if (node) {
    await node.ws.close();
    await new Promise((resolve) => node?.http.close(resolve));
    node = undefined;
  }
}

export async function connect(n: WsNode, opts: { token?: string; path?: string } = {}): Promise<TestClient> {
  const client = await openClient(`${n.url}${opts.path ?? '/ws'}`, opts.token ? { authorization: `Bearer ${opts.token}` } : {});
  clients.push(client);
  return client;
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await delay(10);
  }
}

export function view(orderId: string, consumerId: string, status: OrderStatus, version: number, extra: Partial<OrderView> = {}): OrderView {
  return { orderId, consumerId, merchantId: 'm-1', status, placedAt: 1_000, updatedAt: 1_000 + version, version, ...extra };
}

/** Subscribes and reads the `subscribed` frame and the current view. */
export async function subscribed(client: TestClient, orderId: string, version: number): Promise<void> {
  client.send({ type: 'subscribe', orderId });
  expect(await client.next()).toEqual({ type: 'subscribed', orderId });
  expect(await client.next()).toMatchObject({ type: 'order', order: { orderId, version } });
}

/** A ping round trip: returns every frame the server sent before its pong. */
export async function untilPong(client: TestClient): Promise<ServerFrame[]> {
  client.send({ type: 'ping' });
  const before: ServerFrame[] = [];
  for (let frame = await client.next(); frame.type !== 'pong'; frame = await client.next()) before.push(frame);
  return before;
}

export const versionsOf = (frames: ServerFrame[]) => frames.map((f) => (f.type === 'order' ? Number(f.order.version) : f.type));
