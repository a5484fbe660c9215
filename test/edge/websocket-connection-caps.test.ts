import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../src/edge/websocket-server.js';
import { connect, delay, startNode, stopWsNode, subscribed, untilPong, view, waitFor } from '../support/ws-node.js';

afterEach(stopWsNode);

describe('websocket connection caps and token lifetime', () => {
  it('a node at its connection cap refuses the next upgrade with 503', async () => {
    const n = await startNode({ maxConnections: 2 });
    await connect(n, { token: 'token-alice' });
    await connect(n, { token: 'token-bob' });
    await expect(connect(n, { token: 'token-admin' })).rejects.toThrow(/503/);
  });

  it('a node at its cap takes a connection again once one closes', async () => {
    const n = await startNode({ maxConnections: 1 });
    const first = await connect(n, { token: 'token-alice' });
    first.ws.close();
    await first.closed;
    await waitFor(() => n.ws.connections() === 0);
    expect(await untilPong(await connect(n, { token: 'token-bob' }))).toEqual([]);
  });

  it('a consumer at its cap gets TOO_MANY_CONNECTIONS and close 4429 on one more connection', async () => {
    const n = await startNode({ maxConnectionsPerConsumer: 2 });
    const [a1, a2] = [await connect(n, { token: 'token-alice' }), await connect(n, { token: 'token-alice' })];
    await untilPong(a1);
    await untilPong(a2);
    const a3 = await connect(n, { token: 'token-alice' });
    expect(await a3.next()).toMatchObject({ type: 'error', code: 'TOO_MANY_CONNECTIONS' });
    expect((await a3.closed).code).toBe(CLOSE_CODES.tooManyConnections);
  });

  it('another consumer is not held to the first one\'s cap', async () => {
    const n = await startNode({ maxConnectionsPerConsumer: 1 });
    await untilPong(await connect(n, { token: 'token-alice' }));
    expect(await untilPong(await connect(n, { token: 'token-bob' }))).toEqual([]);
  });

  it('a consumer\'s slot is given back when one of its connections closes', async () => {
    const n = await startNode({ maxConnectionsPerConsumer: 1 });
    const first = await connect(n, { token: 'token-alice' });
    await untilPong(first);
    first.ws.close();
    await first.closed;
    await waitFor(() => n.ws.connections() === 0);
    expect(await untilPong(await connect(n, { token: 'token-alice' }))).toEqual([]);
  });

  it('a connection is closed with 4401 and TOKEN_EXPIRED when its token expires', async () => {
    const n = await startNode();
    n.feed.publish(view('o-c', 'carol', 'PLACED', 1));
    const carol = await connect(n, { token: 'token-carol-expires-in-400' });
    await subscribed(carol, 'o-c', 1);
    expect(await carol.next(3_000)).toMatchObject({ type: 'error', code: 'TOKEN_EXPIRED' });
    expect((await carol.closed).code).toBe(CLOSE_CODES.unauthenticated);
  });

  it('a connection whose token expires gets no status after the expiry', async () => {
    const n = await startNode();
    n.feed.publish(view('o-c', 'carol', 'PLACED', 1));
    const carol = await connect(n, { token: 'token-carol-expires-in-300' });
    await subscribed(carol, 'o-c', 1);
    await Promise.race([carol.closed, delay(3_000).then(() => { throw new Error('the connection outlived its token'); })]);
    n.feed.publish(view('o-c', 'carol', 'FRAUD_CHECKED', 2));
    expect(carol.unread().filter((f) => f.type === 'order')).toEqual([]);
    expect(n.feed.listenerCount('o-c')).toBe(0);
  });
});
