import { connect as connectTcp, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect, delay, startNode, stopWsNode, subscribed, untilPong, versionsOf, view, waitFor,
} from '../support/ws-node.js';

afterEach(stopWsNode);

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
