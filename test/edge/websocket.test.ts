import { afterEach, describe, expect, it } from 'vitest';
import type { OrderStatus } from '../../src/domain/order.js';
import {
  type WsNode, AUTH_TIMEOUT_MS, PENDING_MS, connect, delay, startNode, stopWsNode, subscribed, untilPong, versionsOf, view,
} from '../support/ws-node.js';

afterEach(stopWsNode);


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
    ['the Authorization header', (n: WsNode) => connect(n, { token: 'token-alice' })],
    ['the query string', (n: WsNode) => connect(n, { path: '/ws?token=token-alice' })],
    ['a first auth frame', async (n: WsNode) => {
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
    ['Authorization header', (n: WsNode) => connect(n, { token: 'forged' })],
    ['query string', (n: WsNode) => connect(n, { path: '/ws?token=forged' })],
    ['auth frame', async (n: WsNode) => {
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
