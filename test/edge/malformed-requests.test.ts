import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutNode } from '../../cluster/checkout-node.js';
import type { CheckoutServiceClient } from '../../src/generated/checkout/v1/CheckoutService.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { startTestCluster, unary, type TestCluster } from '../support/checkout-cluster.js';
import { placeRequest } from '../support/place-requests.js';
import { journalOrderIds } from '../../cluster/local/chaos/chaos-check.js';

/** A small seeded PRNG, so a failure can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

const WEIRD = ['', ' ', '\u0000', '\ud800', '😀'.repeat(50), 'ñ', '../../etc', "'; DROP TABLE journal; --", 'x'.repeat(5_000), '\n\r\t', '%s%s%n', '{}', 'null'];

function garbageValue(r: ReturnType<typeof prng>, depth = 0): unknown {
  switch (r.int(8)) {
    case 0: return r.pick(WEIRD);
    case 1: return r.pick([0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5]);
    case 2: return r.next() < 0.5;
    case 3: return 'k'.repeat(r.int(200_000));
    case 4: return depth > 2 ? null : Array.from({ length: r.int(30) }, () => garbageValue(r, depth + 1));
    case 5: return depth > 2 ? {} : { itemId: garbageValue(r, depth + 1), quantity: garbageValue(r, depth + 1), note: garbageValue(r, depth + 1) };
    case 6: return String.fromCharCode(...Array.from({ length: r.int(64) }, () => r.int(0xffff)));
    default: return undefined;
  }
}

function garbageRequest(r: ReturnType<typeof prng>, consumerId: string): Record<string, unknown> {
  const base = placeRequest(consumerId) as Record<string, unknown>;
  const fields = ['idempotencyKey', 'consumerId', 'merchantId', 'lines', 'deliveryAddress', 'paymentMethodId', 'tipMinor'];
  const broken = { ...base };
  for (let i = 0, n = 1 + r.int(4); i < n; i++) broken[r.pick(fields)] = garbageValue(r);
  // At least one field is surely invalid, so none of these may be accepted (or stored).
  broken.idempotencyKey = r.pick(['', 'x', '\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000', '😀'.repeat(40), 'k'.repeat(129 + r.int(100_000)), 'has spaces in it']);
  if (r.next() < 0.2) broken.lines = Array.from({ length: 51 + r.int(2_000) }, (_, k) => ({ itemId: `m-1-item-${k}`, quantity: 1 }));
  return broken;
}

const callRaw = (client: grpc.Client, method: string, bytes: Buffer) => new Promise<grpc.ServiceError | null>((resolve) => {
  client.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, bytes, (err) => resolve(err));
});

describe('malformed requests', () => {
  let cluster: TestCluster;
  let node: CheckoutNode;
  let client: CheckoutServiceClient;
  beforeAll(async () => {
    cluster = await startTestCluster();
    node = await cluster.startNode('fuzz-1');
    client = await cluster.client(node, 'c-fuzz');
  });
  afterAll(async () => { await cluster?.stop(); });

  it('each get a clean error, the node keeps serving, and nothing is stored', { timeout: 240_000 }, async () => {
    const r = prng(20261125);
    const codes = new Map<number, number>();
    const note = (code: number) => codes.set(code, (codes.get(code) ?? 0) + 1);
    const token = await cluster.token('c-fuzz');
    const raw = new grpc.Client(node.grpcAddress, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 4 * 1024 * 1024 });
    try {
      for (let i = 0; i < 1_000; i++) {
        const kind = i % 4;
        if (kind === 0) {
          // Raw bytes that are not a valid message (or are, by chance, with nonsense in every field).
          const bytes = Buffer.from(Array.from({ length: r.int(2_000) }, () => r.int(256)));
          const md = new grpc.Metadata();
          md.set('authorization', `Bearer ${token}`);
          const err = await new Promise<grpc.ServiceError | null>((resolve) => raw.makeUnaryRequest('/checkout.v1.CheckoutService/PlaceOrder', (b: Buffer) => b, (b: Buffer) => b, bytes, md, (e) => resolve(e)));
          expect(err, `raw request ${i}`).not.toBeNull();
          note(err!.code);
        } else if (kind === 1 && i % 40 === 1) {
          const err = await callRaw(raw, '/checkout.v1.CheckoutService/PlaceOrder', Buffer.alloc(2 * 1024 * 1024, 7));
          note(err!.code);
          expect(err!.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
        } else if (kind === 3) {
          const err = await unary(client.getOrder.bind(client), { orderId: garbageValue(r) as string }).then(() => null, (e: grpc.ServiceError) => e);
          expect(err, `get ${i}`).not.toBeNull();
          note(err!.code);
          expect([grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.RESOURCE_EXHAUSTED]).toContain(err!.code);
        } else {
          const err = await unary(client.placeOrder.bind(client), garbageRequest(r, 'c-fuzz')).then(() => null, (e: grpc.ServiceError) => e);
          expect(err, `place ${i}`).not.toBeNull();
          note(err!.code);
          expect([grpc.status.INVALID_ARGUMENT, grpc.status.PERMISSION_DENIED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.INTERNAL]).toContain(err!.code);
          if (err!.code === grpc.status.INTERNAL) expect(err!.details).toMatch(/serializ|parse/i); // only the client's own encoder refusing
        }
      }
    } finally {
      raw.close();
    }
    console.log(`[figures] malformed requests by status code: ${JSON.stringify(Object.fromEntries(codes))}`);

    const { client: db, keyspace: ks } = cluster.keyspace;
    expect((await db.execute(`SELECT consumer_id FROM ${ks}.idempotency_keys`)).rowLength).toBe(0);
    expect(await journalOrderIds(db, ks)).toEqual(new Set()); // in every journal layout
    const ok = await unary<object, PlaceOrderResponse__Output>(client.placeOrder.bind(client), placeRequest('c-fuzz'));
    expect(ok.orderId).toMatch(/^o-/);
  });
});
