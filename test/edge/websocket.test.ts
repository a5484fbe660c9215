import { createServer, type Server } from 'node:http';
import { connect as connectTcp, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderView } from '../../src/edge/order-view.js';
import { createWebsocketServer, type Principal, type WebsocketLimits, type WebsocketServer } from '../../src/edge/websocket-server.js';
import type { OrderStatus } from '../../src/domain/order.js';
import type { ServerFrame } from '../../src/edge/websocket-frames.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMemoryStatusFeed, type MemoryStatusFeed } from '../support/memory-status-feed.js';
import { openClient, type TestClient } from '../support/ws-test-client.js';

const PRINCIPALS: Record<string, Principal> = {
  'token-alice': { consumerId: 'alice', admin: false },
  'token-bob': { consumerId: 'bob', admin: false },
  'token-admin': { consumerId: 'ops', admin: true },
};
const authenticate = async (token: string): Promise<Principal> => {
  await delay(5); // a real check is asynchronous: frames sent meanwhile must wait for it
  const principal = PRINCIPALS[token];
  if (!principal) throw new Error('bad token');
  return principal;
};

const PENDING_MS = 300;
const AUTH_TIMEOUT_MS = 300;

interface Node { http: Server; feed: MemoryStatusFeed; ws: WebsocketServer; url: string }
let node: Node | undefined;
const clients: TestClient[] = [];

async function startNode(limits: Partial<WebsocketLimits> = {}): Promise<Node> {
  const http = createServer((req, res) => {
    res.writeHead(req.url === '/metrics' ? 200 : 404).end(req.url === '/metrics' ? 'metrics here' : '');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const feed = createMemoryStatusFeed();
  const ws = createWebsocketServer({
    server: http, feed, authenticate, logger: silentLogger(),
    limits: { pendingSubscriptionMs: PENDING_MS, authTimeoutMs: AUTH_TIMEOUT_MS, ...limits },
  });
  node = { http, feed, ws, url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}` };
  return node;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.terminate();
  if (node) {
    await node.ws.close();
    await new Promise((resolve) => node?.http.close(resolve));
    node = undefined;
  }
});

async function connect(n: Node, opts: { token?: string; path?: string } = {}): Promise<TestClient> {
  const client = await openClient(`${n.url}${opts.path ?? '/ws'}`, opts.token ? { authorization: `Bearer ${opts.token}` } : {});
  clients.push(client);
  return client;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await delay(10);
  }
}

function view(orderId: string, consumerId: string, status: OrderStatus, version: number, extra: Partial<OrderView> = {}): OrderView {
  return { orderId, consumerId, merchantId: 'm-1', status, placedAt: 1_000, updatedAt: 1_000 + version, version, ...extra };
}

/** Subscribes and reads the `subscribed` frame and the current view. */
async function subscribed(client: TestClient, orderId: string, version: number): Promise<void> {
  client.send({ type: 'subscribe', orderId });
  expect(await client.next()).toEqual({ type: 'subscribed', orderId });
  expect(await client.next()).toMatchObject({ type: 'order', order: { orderId, version } });
}

/** A ping round trip: returns every frame the server sent before its pong. */
async function untilPong(client: TestClient): Promise<ServerFrame[]> {
  client.send({ type: 'ping' });
  const before: ServerFrame[] = [];
  for (let frame = await client.next(); frame.type !== 'pong'; frame = await client.next()) before.push(frame);
  return before;
}

const versionsOf = (frames: ServerFrame[]) => frames.map((f) => (f.type === 'order' ? Number(f.order.version) : f.type));

describe('websocket order status', () => {
  it('a consumer sees every status change of its order, in version order, ending at the terminal state', async () => {
    const n = await startNode();
    n.feed.publish(view('o-1', 'alice', 'PLACED', 1));
    const alice = await connect(n, { token: 'token-alice' });
    await subscribed(alice, 'o-1', 1);
    const steps: OrderStatus[] = ['FRAUD_CHECKED', 'PAYMENT_AUTHORIZED', 'DELIVERY_CREATED', 'SENT_TO_MERCHANT', 'COMPLETED'];
    steps.forEach((status, i) => n.feed.publish(view('o-1', 'alice', status, i + 2)));
    const seen = [];
    for (const _ of steps) seen.push(await alice.next());
    expect(seen.map((f) => f.type === 'order' && [f.order.status, f.order.version])).toEqual(steps.map((s, i) => [s, i + 2]));
  });

  it('the terminal view ends that subscription and the connection keeps serving the others', async () => {
    const n = await startNode();
    n.feed.publish(view('o-1', 'alice', 'SENT_TO_MERCHANT', 5));
    n.feed.publish(view('o-2', 'alice', 'PLACED', 1));
    const alice = await connect(n, { token: 'token-alice' });
    await subscribed(alice, 'o-1', 5);
    await subscribed(alice, 'o-2', 1);
    n.feed.publish(view('o-1', 'alice', 'FAILED', 6));
    expect(await alice.next()).toMatchObject({ type: 'order', order: { orderId: 'o-1', status: 'FAILED' } });
    expect(n.feed.listenerCount('o-1')).toBe(0);
    n.feed.publish(view('o-2', 'alice', 'FRAUD_CHECKED', 2));
    expect(await alice.next()).toMatchObject({ type: 'order', order: { orderId: 'o-2', version: 2 } });
  });

  it('a version the feed repeats or sends backwards is never sent again', async () => {
    const n = await startNode();
    n.feed.publish(view('o-1', 'alice', 'PLACED', 1));
    const alice = await connect(n, { token: 'token-alice' });
    await subscribed(alice, 'o-1', 1);
    for (const v of [1, 3, 2, 3, 4]) n.feed.emitUnchecked(view('o-1', 'alice', 'PLACED', v));
    expect(versionsOf(await untilPong(alice))).toEqual([3, 4]);
  });

  it('an order not yet in the feed is streamed once its first view arrives', async () => {
    const n = await startNode();
    const alice = await connect(n, { token: 'token-alice' });
    alice.send({ type: 'subscribe', orderId: 'o-new' });
    await delay(PENDING_MS / 3);
    n.feed.publish(view('o-new', 'alice', 'PLACED', 1));
    expect(await alice.next()).toEqual({ type: 'subscribed', orderId: 'o-new' });
    expect(await alice.next()).toMatchObject({ type: 'order', order: { orderId: 'o-new', version: 1 } });
  });

  it('an order the feed never learns of is answered NOT_FOUND after the pending window, releasing its listener', async () => {
    const n = await startNode();
    const alice = await connect(n, { token: 'token-alice' });
    alice.send({ type: 'subscribe', orderId: 'o-missing' });
    expect(await alice.next()).toEqual({ type: 'error', code: 'NOT_FOUND', message: 'no such order', orderId: 'o-missing' });
    expect(n.feed.listenerCount()).toBe(0);
  });

  it('another consumer\'s order is answered exactly like a missing one, and none of its data is sent', async () => {
    const n = await startNode();
    n.feed.publish(view('o-bob-known', 'bob', 'PLACED', 1, { merchantId: 'm-secret' }));
    const alice = await connect(n, { token: 'token-alice' });
    for (const orderId of ['o-bob-known', 'o-bob-later', 'o-missing']) alice.send({ type: 'subscribe', orderId });
    await delay(PENDING_MS / 4);
    n.feed.publish(view('o-bob-later', 'bob', 'PLACED', 1, { merchantId: 'm-secret' }));
    n.feed.publish(view('o-bob-known', 'bob', 'FRAUD_CHECKED', 2, { merchantId: 'm-secret' }));
    await delay(PENDING_MS / 4);
    // A known order is not answered sooner than a missing one: the timing would tell them apart.
    expect(alice.unread()).toEqual([]);
    const answers = [await alice.next(), await alice.next(), await alice.next()];
    expect(answers).toEqual(['o-bob-known', 'o-bob-later', 'o-missing'].map((orderId) => ({ type: 'error', code: 'NOT_FOUND', message: 'no such order', orderId })));
    expect(await untilPong(alice)).toEqual([]);
    expect(n.feed.listenerCount()).toBe(0);
  });

  it('subscribing again to the same order opens no second stream and answers a pending one only once', async () => {
    const n = await startNode();
    n.feed.publish(view('o-1', 'alice', 'PLACED', 1));
    const alice = await connect(n, { token: 'token-alice' });
    await subscribed(alice, 'o-1', 1);
    for (const orderId of ['o-1', 'o-missing', 'o-missing']) alice.send({ type: 'subscribe', orderId });
    expect(await untilPong(alice)).toEqual([{ type: 'subscribed', orderId: 'o-1' }]);
    expect(n.feed.listenerCount()).toBe(2);
    n.feed.publish(view('o-1', 'alice', 'FRAUD_CHECKED', 2));
    expect(await alice.next()).toMatchObject({ type: 'order', order: { version: 2 } });
    expect(await alice.next()).toMatchObject({ type: 'error', code: 'NOT_FOUND', orderId: 'o-missing' });
    expect(await untilPong(alice)).toEqual([]);
  });

  it('an admin sees any consumer\'s order', async () => {
    const n = await startNode();
    n.feed.publish(view('o-bob', 'bob', 'PLACED', 1));
    const admin = await connect(n, { token: 'token-admin' });
    await subscribed(admin, 'o-bob', 1);
  });

  it.each([
    ['the Authorization header', (n: Node) => connect(n, { token: 'token-alice' })],
    ['the query string', (n: Node) => connect(n, { path: '/ws?token=token-alice' })],
    ['a first auth frame', async (n: Node) => {
      const client = await connect(n);
      client.send({ type: 'auth', token: 'token-alice' }); // the subscribe that follows waits for the check
      return client;
    }],
  ])('a token in %s authenticates the connection', async (_way, open) => {
    const n = await startNode();
    n.feed.publish(view('o-1', 'alice', 'PLACED', 1));
    await subscribed(await open(n), 'o-1', 1);
  });

  it('a connection that presents no token gets UNAUTHENTICATED and is closed with 4401 after the auth timeout', async () => {
    const n = await startNode();
    const opened = Date.now();
    const client = await connect(n);
    expect(await client.next()).toMatchObject({ type: 'error', code: 'UNAUTHENTICATED' });
    expect((await client.closed).code).toBe(4401);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(AUTH_TIMEOUT_MS - 20);
  });

  it.each([
    ['Authorization header', (n: Node) => connect(n, { token: 'forged' })],
    ['query string', (n: Node) => connect(n, { path: '/ws?token=forged' })],
    ['auth frame', async (n: Node) => {
      const client = await connect(n);
      client.send({ type: 'auth', token: 'forged' });
      return client;
    }],
  ])('a bad token in the %s gets UNAUTHENTICATED and close code 4401', async (_way, open) => {
    const n = await startNode();
    const client = await open(n);
    expect(await client.next()).toEqual({ type: 'error', code: 'UNAUTHENTICATED', message: 'invalid or expired token' });
    expect((await client.closed).code).toBe(4401);
  });

  it('a first frame other than auth is refused with 4401 and subscribes nothing', async () => {
    const n = await startNode();
    n.feed.publish(view('o-1', 'alice', 'PLACED', 1));
    const client = await connect(n);
    client.send({ type: 'subscribe', orderId: 'o-1' });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'UNAUTHENTICATED' });
    expect((await client.closed).code).toBe(4401);
    expect(n.feed.listenerCount()).toBe(0);
  });
});

describe('websocket limits and cleanup', () => {
  const malformed: Array<[string, string | Buffer, 'binary' | 'text', string]> = [
    ['binary frame', Buffer.from('{"type":"ping"}'), 'binary', 'BAD_FRAME'],
    ['not JSON', 'hello', 'text', 'BAD_FRAME'],
    ['truncated JSON', '{"type":"subscribe","orderId":"o-', 'text', 'BAD_FRAME'],
    ['empty text', '', 'text', 'BAD_FRAME'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'text', 'BAD_FRAME'],
    ['JSON array', '[{"type":"ping"}]', 'text', 'BAD_FRAME'],
    ['JSON null', 'null', 'text', 'BAD_FRAME'],
    ['JSON string', '"ping"', 'text', 'BAD_FRAME'],
    ['deeply nested JSON', `${'['.repeat(3_000)}${']'.repeat(3_000)}`, 'text', 'BAD_FRAME'],
    ['no type', '{"orderId":"o-1"}', 'text', 'BAD_FRAME'],
    ['type not a string', '{"type":42}', 'text', 'BAD_FRAME'],
    ['unknown type', '{"type":"cancel","orderId":"o-1"}', 'text', 'UNKNOWN_TYPE'],
    ['subscribe without orderId', '{"type":"subscribe"}', 'text', 'BAD_FRAME'],
    ['orderId a number', '{"type":"subscribe","orderId":7}', 'text', 'BAD_FRAME'],
    ['orderId an object', '{"type":"unsubscribe","orderId":{"$ne":null}}', 'text', 'BAD_FRAME'],
    ['orderId empty', '{"type":"subscribe","orderId":""}', 'text', 'BAD_FRAME'],
    ['orderId too long', JSON.stringify({ type: 'subscribe', orderId: 'o'.repeat(129) }), 'text', 'BAD_FRAME'],
    ['orderId with control characters', JSON.stringify({ type: 'subscribe', orderId: 'o-1\n{"forged":1}' }), 'text', 'BAD_FRAME'],
    ['auth once authenticated', '{"type":"auth","token":"token-bob"}', 'text', 'BAD_FRAME'],
    ['frame over maxFrameBytes', JSON.stringify({ type: 'subscribe', orderId: 'o-1', pad: 'x'.repeat(20_000) }), 'text', 'FRAME_TOO_LARGE'],
  ];

  it.each(malformed)('a malformed frame (%s) gets an error frame and the connection keeps working', async (_kind, data, kind, code) => {
    const n = await startNode();
    n.feed.publish(view('o-1', 'alice', 'PLACED', 1));
    const alice = await connect(n, { token: 'token-alice' });
    await subscribed(alice, 'o-1', 1);
    alice.ws.send(data, { binary: kind === 'binary' });
    expect(await alice.next()).toMatchObject({ type: 'error', code });
    n.feed.publish(view('o-1', 'alice', 'FRAUD_CHECKED', 2));
    expect(versionsOf(await untilPong(alice))).toEqual([2]);
  });

  it('a frame beyond the hard payload ceiling closes only that connection, with 1009', async () => {
    const n = await startNode({ maxFrameBytes: 1024 });
    const [flooder, other] = [await connect(n, { token: 'token-alice' }), await connect(n, { token: 'token-bob' })];
    await untilPong(flooder);
    flooder.ws.send('x'.repeat(128 * 1024));
    expect((await flooder.closed).code).toBe(1009);
    expect(await untilPong(other)).toEqual([]);
  });

  it('subscriptions beyond the per-connection limit are refused until one is released', async () => {
    const n = await startNode({ maxSubscriptions: 2 });
    for (const id of ['o-1', 'o-2', 'o-3']) n.feed.publish(view(id, 'alice', 'PLACED', 1));
    const alice = await connect(n, { token: 'token-alice' });
    await subscribed(alice, 'o-1', 1);
    await subscribed(alice, 'o-2', 1);
    alice.send({ type: 'subscribe', orderId: 'o-3' });
    expect(await alice.next()).toMatchObject({ type: 'error', code: 'TOO_MANY_SUBSCRIPTIONS', orderId: 'o-3' });
    expect(n.feed.listenerCount('o-3')).toBe(0);
    alice.send({ type: 'unsubscribe', orderId: 'o-1' });
    expect(await alice.next()).toEqual({ type: 'unsubscribed', orderId: 'o-1' });
    await subscribed(alice, 'o-3', 1);
  });

  it('unsubscribe stops the stream and releases the feed listener', async () => {
    const n = await startNode();
    n.feed.publish(view('o-1', 'alice', 'PLACED', 1));
    const alice = await connect(n, { token: 'token-alice' });
    await subscribed(alice, 'o-1', 1);
    alice.send({ type: 'unsubscribe', orderId: 'o-1' });
    expect(await alice.next()).toEqual({ type: 'unsubscribed', orderId: 'o-1' });
    expect(n.feed.listenerCount()).toBe(0);
    n.feed.publish(view('o-1', 'alice', 'FRAUD_CHECKED', 2));
    expect(await untilPong(alice)).toEqual([]);
  });

  it('a consumer that stops reading is dropped and its subscriptions released, while others keep being served', async () => {
    const n = await startNode({ maxBufferedBytes: 256 * 1024 });
    n.feed.publish(view('o-slow', 'alice', 'PLACED', 1));
    n.feed.publish(view('o-fast', 'bob', 'PLACED', 1));
    const slow = await connect(n, { token: 'token-alice' });
    const fast = await connect(n, { token: 'token-bob' });
    await subscribed(slow, 'o-slow', 1);
    await subscribed(fast, 'o-fast', 1);
    slow.ws.pause(); // stops reading its TCP socket: the kernel buffers fill, then the server's
    const bulky = [{ itemId: 'i-1', name: 'x'.repeat(64 * 1024), quantity: 1 }];
    let version = 1;
    while (n.feed.listenerCount('o-slow') > 0) {
      version += 1;
      if (version > 2_000) throw new Error('the slow consumer was never dropped (≈128 MB sent)');
      n.feed.publish(view('o-slow', 'alice', 'PLACED', version, { lines: bulky }));
      if (version % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => n.ws.connections() === 1);
    n.feed.publish(view('o-fast', 'bob', 'FRAUD_CHECKED', 2));
    expect(versionsOf(await untilPong(fast))).toEqual([2]);
    slow.ws.resume();
    expect([4008, 1006]).toContain((await slow.closed).code);
  });

  it('a peer that stops answering pings is dropped and its subscriptions released; one that answers stays', async () => {
    const n = await startNode({ heartbeatMs: 50 });
    n.feed.publish(view('o-1', 'alice', 'PLACED', 1));
    const [dead, alive] = [await connect(n, { token: 'token-alice' }), await connect(n, { token: 'token-alice' })];
    await subscribed(dead, 'o-1', 1);
    await subscribed(alive, 'o-1', 1);
    dead.ws.pause();
    await waitFor(() => n.feed.listenerCount('o-1') === 1 && n.ws.connections() === 1);
    await delay(200); // several more heartbeats
    expect(n.ws.connections()).toBe(1);
    n.feed.publish(view('o-1', 'alice', 'FRAUD_CHECKED', 2));
    expect(versionsOf(await untilPong(alive))).toEqual([2]);
  });

  it('a closed connection leaves no listener on the feed, pending subscriptions included', async () => {
    const n = await startNode({ pendingSubscriptionMs: 60_000 });
    n.feed.publish(view('o-1', 'alice', 'PLACED', 1));
    n.feed.publish(view('o-2', 'alice', 'PLACED', 1));
    const alice = await connect(n, { token: 'token-alice' });
    await subscribed(alice, 'o-1', 1);
    await subscribed(alice, 'o-2', 1);
    alice.send({ type: 'subscribe', orderId: 'o-not-yet' });
    await untilPong(alice);
    expect(n.feed.listenerCount()).toBe(3);
    alice.ws.close();
    await waitFor(() => n.feed.listenerCount() === 0 && n.ws.connections() === 0);
  });

  it('close() closes every connection with 1001 and leaves the http server serving', async () => {
    const n = await startNode();
    const [a, b] = [await connect(n, { token: 'token-alice' }), await connect(n)];
    await untilPong(a);
    await n.ws.close();
    expect([(await a.closed).code, (await b.closed).code]).toEqual([1001, 1001]);
    expect(n.ws.connections()).toBe(0);
    const metrics = await fetch(`${n.url.replace('ws:', 'http:')}/metrics`);
    expect(metrics.status).toBe(200);
    await expect(connect(n, { token: 'token-alice' })).rejects.toThrow(/404/);
  });

  it('an upgrade on another path than /ws is refused with 404', async () => {
    const n = await startNode();
    await expect(connect(n, { token: 'token-alice', path: '/metrics' })).rejects.toThrow(/404/);
    expect(n.ws.connections()).toBe(0);
  });

  it('an upgrade request whose target is not a URL is answered 400 and the node keeps serving', async () => {
    const n = await startNode();
    const port = (n.http.address() as AddressInfo).port;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connectTcp(port, '127.0.0.1', () => socket.write('GET http://[ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => { text += String(chunk); });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.setTimeout(2_000, () => reject(new Error('no answer to the upgrade request')));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    n.feed.publish(view('o-1', 'alice', 'PLACED', 1));
    await subscribed(await connect(n, { token: 'token-alice' }), 'o-1', 1);
  });
});
