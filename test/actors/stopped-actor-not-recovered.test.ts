import { describe, expect, it } from 'vitest';
import type { CheckoutSteps } from '../../src/domain/checkout-steps.js';
import { DEFAULT_FALLBACK_SETTINGS } from '../../src/resilience/fallback-settings.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { StoredEvent } from '../../src/storage/persistence-engine.js';
import { spawnOrderActor } from '../../actors/order/order-actor.js';
import { dispatch, startActorSystem, stopActor } from '../../actors/typed-nact.js';
import { memoryJournal } from '../support/memory-journal.js';
import { gate } from '../support/gate.js';
import { pricedOrder } from '../support/orders.js';

/*
 * An order actor stopped while its append is in flight (its shard left the node) finds itself
 * stopped when the append returns: starting the next step then fails. It must not be recovered
 * (reset): nothing can reach it any more, and in JOURNAL_MODE=fenced a recovery takes the order
 * from the shard's new owner. Seen in CI: the degraded-links test, one order stranded.
 */
describe('an order actor stopped while its append is in flight', () => {
  it('is not recovered and starts no step once the append returns', async () => {
    const journal = memoryJournal('node-a');
    const append = gate();
    let recoveries = 0;
    let stepsCalled = 0;
    const engine = {
      ...journal,
      latestSnapshot: async (key: string) => { recoveries += 1; return journal.latestSnapshot(key); },
      persist: async (event: StoredEvent) => { await append.pass(); return journal.persist(event); },
    };
    const call = async () => { stepsCalled += 1; return 'r-1'; };
    const done = async () => undefined;
    const steps: CheckoutSteps = {
      assessFraud: call, authorizePayment: call, createDelivery: call, sendToMerchant: call, phoneOrderToMerchant: call, capturePayment: call,
      voidAuthorization: done, cancelDelivery: done, cancelTicket: done, refundCapture: done,
    };
    const system = startActorSystem(`stopped-${Date.now()}`, engine);
    const order = pricedOrder();
    const actor = spawnOrderActor(system, order.orderId, {
      engine, nodeId: 'node-a', clock: Date.now, snapshotEvery: 50, fallbacks: DEFAULT_FALLBACK_SETTINGS,
      recoveryPolicy: { maxAttempts: Number.POSITIVE_INFINITY, backoff: { initialMs: 5, maxMs: 10, jitter: 0 } },
      logger: silentLogger(), runner: { steps, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(recoveries).toBe(1);
    dispatch(actor, { type: 'place', order });
    await append.atGate;
    stopActor(actor);
    append.open();
    await new Promise((r) => setTimeout(r, 300));
    expect(journal.rows(order.orderId).map((r) => r.seq)).toEqual([1]);
    expect(recoveries).toBe(1);
    expect(stepsCalled).toBe(0);
  });
});
