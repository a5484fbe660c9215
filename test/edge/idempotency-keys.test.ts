import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutNode } from '../../cluster/checkout-node.js';
import type { CheckoutServiceClient } from '../../src/generated/checkout/v1/CheckoutService.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { richStatus, startTestCluster, unary, type TestCluster } from '../support/checkout-cluster.js';
import { placeRequest } from '../support/place-requests.js';
import { isTerminal } from '../../src/domain/order.js';
import { untilNoCallInFlight } from '../support/downstream.js';
import { statusFromJournal } from '../../actors/order/journal-of.js';
import { pollUntil } from '../support/poll.js';
import { journalRows } from '../../src/storage/journal-reader.js';

describe('idempotency keys', () => {
  let cluster: TestCluster;
  let node: CheckoutNode;
  let client: CheckoutServiceClient;
  beforeAll(async () => {
    cluster = await startTestCluster({ env: { IDEMPOTENCY_TTL_S: '3' } });
    node = await cluster.startNode('idem-1');
    client = await cluster.client(node, 'c-idem');
  });
  afterAll(async () => { await cluster?.stop(); });

  const place = (req: object) => unary<object, PlaceOrderResponse__Output>(client.placeOrder.bind(client), req);

  it('turn 20 concurrent calls with one key into exactly one order', async () => {
    const req = placeRequest('c-idem');
    const answers = await Promise.all(Array.from({ length: 20 }, () => place(req)));
    expect(new Set(answers.map((a) => a.orderId)).size).toBe(1);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    const orderId = answers[0]!.orderId;
    const { client: db, keyspace: ks } = cluster.keyspace;
    await pollUntil('the order ends', () => statusFromJournal(db, ks, orderId), isTerminal, { timeoutMs: 20_000 });
    await untilNoCallInFlight(cluster.downstream.clients.admin);
    const ledger = await cluster.downstream.ledger(orderId);
    expect(ledger.filter((e) => e.operation === 'payments.Authorize')).toHaveLength(1);
    // Read through the journal reader, so the check holds in every journal layout.
    expect((await journalRows(db, ks, orderId)).filter((r) => r.eventType === 'OrderPlaced')).toHaveLength(1);
  });

  it('replay the first answer to a later call with the same key and request', async () => {
    const req = placeRequest('c-idem');
    const first = await place(req);
    const again = await place(req);
    expect(again.orderId).toBe(first.orderId);
    expect(again.replayed).toBe(true);
  });

  it('refuse a different request under a used key, naming the reason', async () => {
    const req = placeRequest('c-idem');
    await place(req);
    const err = await place({ ...req, tipMinor: 999 }).catch((e: unknown) => e);
    const status = richStatus(err);
    expect(status.code).toBe(9);
    expect(status.errorInfo?.reason).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('are scoped to the consumer: another consumer may use the same key', async () => {
    const req = placeRequest('c-idem');
    const mine = await place(req);
    const other = await cluster.client(node, 'c-other');
    const theirs = await unary<object, PlaceOrderResponse__Output>(other.placeOrder.bind(other), { ...req, consumerId: 'c-other' });
    expect(theirs.orderId).not.toBe(mine.orderId);
  });

  it('expire after their TTL, after which the same key places a new order', async () => {
    const req = placeRequest('c-idem');
    const first = await place(req);
    const { client: db, keyspace: ks } = cluster.keyspace;
    const keyRows = async () => (await db.execute(`SELECT order_id FROM ${ks}.idempotency_keys WHERE consumer_id = ? AND idempotency_key = ?`, ['c-idem', req.idempotencyKey])).rowLength;
    await pollUntil('the key expires (Cassandra TTL)', keyRows, (n) => n === 0, { timeoutMs: 10_000, everyMs: 250 });
    const later = await place(req);
    expect(later.orderId).not.toBe(first.orderId);
    expect(later.replayed).toBe(false);
  });

  it('store only the outcome of a rejected request, and replay the same rejection', async () => {
    const req = placeRequest('c-idem', { lines: [{ itemId: 'm-1-sold-out', quantity: 1 }] });
    const first = richStatus(await place(req).catch((e: unknown) => e));
    const again = richStatus(await place(req).catch((e: unknown) => e));
    expect(first.code).toBe(9);
    expect(again).toMatchObject({ code: first.code, message: first.message });
    const { client: db, keyspace: ks } = cluster.keyspace;
    const key = (await db.execute(`SELECT order_id, outcome FROM ${ks}.idempotency_keys WHERE consumer_id = ? AND idempotency_key = ?`, ['c-idem', req.idempotencyKey])).first();
    expect(JSON.parse(key.outcome as string)).toMatchObject({ kind: 'rejected', reason: 'ITEM_UNAVAILABLE' });
    const orderId = key.order_id as string;
    expect(await journalRows(db, ks, orderId)).toEqual([]);
    expect((await db.execute(`SELECT order_id FROM ${ks}.active_orders_by_position`)).rows.map((r) => r.order_id)).not.toContain(orderId);
    expect(await cluster.downstream.ledger(orderId)).toEqual([]);
  });

  it('give a key whose request was rejected to a corrected request under the same key', async () => {
    const rejected = placeRequest('c-idem', { lines: [{ itemId: 'm-1-sold-out', quantity: 1 }] });
    expect(richStatus(await place(rejected).catch((e: unknown) => e)).errorInfo?.reason).toBe('ITEM_UNAVAILABLE');
    const corrected = { ...placeRequest('c-idem'), idempotencyKey: rejected.idempotencyKey };
    const accepted = await place(corrected);
    expect(accepted.orderId).toMatch(/^o-/);
    expect(accepted.replayed).toBe(false);
    expect((await place(corrected)).orderId).toBe(accepted.orderId);
  });

  it('answer a replay of an order that has since finished with its current status, not PLACED', async () => {
    const req = placeRequest('c-idem');
    const first = await place(req);
    expect(first.status).toBe('PLACED');
    const getOrder = (orderId: string) => unary<object, { status: string }>(client.getOrder.bind(client), { orderId });
    const deadline = Date.now() + 15_000;
    while ((await getOrder(first.orderId)).status !== 'COMPLETED') {
      if (Date.now() > deadline) throw new Error('the order did not complete within 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const again = await place(req);
    expect(again).toMatchObject({ orderId: first.orderId, replayed: true, status: 'COMPLETED' });
  });
});
