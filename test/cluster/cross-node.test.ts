import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedger } from '../../cluster/local/downstream/ledger-invariants.js';
import { readFinalOrders } from '../../cluster/local/chaos/chaos-check.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { unary } from '../support/checkout-cluster.js';
import { placeRequest } from '../support/place-requests.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { openClient } from '../support/ws-test-client.js';
import { untilNoCallInFlight } from '../support/downstream.js';

describe('across nodes', () => {
  let pc: ProcessCluster;
  beforeAll(async () => {
    pc = await startProcessCluster({ nodes: 3, downstreamLatency: [{ target: 'merchant.SendOrder', fixedMs: 2_000 }, { target: '*', fixedMs: 20 }] });
  }, 120_000);
  afterAll(async () => { await pc?.stop(); }, 60_000);

  it('an order placed on node A, cancelled via node B and watched on node C over websocket ends CANCELLED with its steps undone', { timeout: 60_000 }, async () => {
    const [a, b, c] = pc.cluster.nodes;
    const onA = await pc.client(a!, 'c-cross');
    const onB = await pc.client(b!, 'c-cross');
    const placed = await unary<object, PlaceOrderResponse__Output>(onA.placeOrder.bind(onA), placeRequest('c-cross'));
    const ws = await openClient(`ws://${c!.httpAddress}/ws`, { authorization: `Bearer ${await pc.token('c-cross')}` });
    ws.send({ type: 'subscribe', orderId: placed.orderId });
    const seen: string[] = [];
    let cancelled = false;
    for (;;) {
      const frame = await ws.next(20_000);
      if (frame.type !== 'order') continue;
      seen.push(frame.order.status);
      if (frame.order.status === 'DELIVERY_CREATED' && !cancelled) {
        cancelled = true;
        await unary(onB.cancelOrder.bind(onB), { orderId: placed.orderId, reason: 'wrong address' });
      }
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(frame.order.status)) break;
    }
    ws.ws.close();
    expect(seen).toContain('COMPENSATING');
    expect(seen.at(-1)).toBe('CANCELLED');
    await untilNoCallInFlight(pc.downstream.admin); // the merchant call in flight lands and is refused
    const ledger = (await pc.downstream.admin.getLedger({ orderId: placed.orderId, limit: 1000 })).entries;
    expect(checkLedger(ledger, await readFinalOrders(pc.db, pc.keyspace, [placed.orderId])).violations).toEqual([]);
    expect(ledger.map((e) => e.operation)).toEqual(expect.arrayContaining(['logistics.CancelDelivery', 'payments.Void']));
  });
});
