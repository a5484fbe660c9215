import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { elapsed } from '../../src/pricing/critical-path.js';
import { applyLegacySchema, createLegacyOrderStore } from '../../cluster/bench/legacy/legacy-order-store.js';
import { createLegacyPricer } from '../../cluster/bench/legacy/legacy-pricer.js';
import { stepsOf, type LegacyOrderStore } from '../../cluster/bench/legacy/legacy-steps.js';
import { createOrderPricer, type OrderPricer } from '../../src/pricing/price-order.js';
import { tallyCounters } from '../../src/storage/storage-counters.js';
import { startHarness, type Harness } from '../support/downstream.js';
import { schemaKeyspace } from '../support/journal.js';
import { FETCH_LATENCY, LATENCY_SUM_MS, placeOrderInput } from './pricing-fixtures.js';

describe('legacy pricing (sequential, the order row read and written at every step)', () => {
  let h: Harness;
  let db: Awaited<ReturnType<typeof schemaKeyspace>>;
  let store: LegacyOrderStore;
  let legacy: OrderPricer;
  let fast: OrderPricer;
  const counters = tallyCounters();
  let orderNo = 0;
  const nextOrderId = () => `o-legacy-${++orderNo}`;

  beforeAll(async () => {
    [h, db] = await Promise.all([startHarness({ latency: FETCH_LATENCY }), schemaKeyspace('pricing')]);
    await applyLegacySchema(db.client, db.keyspace);
    store = createLegacyOrderStore({ client: db.client, keyspace: db.keyspace, counters });
    const deps = { clients: h.clients, deadlineMs: 2_000, clock: Date.now };
    legacy = createLegacyPricer({ ...deps, store });
    fast = createOrderPricer(deps);
    await legacy.price(placeOrderInput(), nextOrderId());
  });
  beforeEach(() => counters.reset());
  afterAll(async () => { await Promise.all([h?.stop(), db?.drop()]); });

  it('reads and writes the order row once per step, and nothing else', async () => {
    await legacy.price(placeOrderInput(), nextOrderId());
    // merchant, menu, consumer, payment method, promotion, quote, lines, order.
    expect(legacy.steps).toHaveLength(8);
    expect(counters.totals()).toEqual({ read: 8, write: 8, lwt: 0 });
  });

  it('leaves the order row listing every step, in the order they ran', async () => {
    const orderId = nextOrderId();
    await legacy.price(placeOrderInput(), orderId);
    expect(stepsOf(await store.read(orderId))).toEqual(legacy.steps);
  });

  it('runs one step at a time and takes at least the sum of the calls', async () => {
    const { timings } = await legacy.price(placeOrderInput(), nextOrderId());
    expect(elapsed(timings)).toBeGreaterThanOrEqual(LATENCY_SUM_MS - 5);
    for (let i = 1; i < timings.tasks.length; i++) {
      expect(timings.tasks[i]!.startedAt).toBeGreaterThanOrEqual(timings.tasks[i - 1]!.endedAt);
    }
  });

  it('prices the same order as the concurrent path', async () => {
    const input = placeOrderInput({ lines: [{ itemId: 'm-1-item-2', quantity: 3, note: '' }], tipMinor: 150 });
    const [a, b] = [await legacy.price(input, 'o-same'), await fast.price(input, 'o-same')];
    const { placedAt: _a, ...legacyOrder } = a.order;
    const { placedAt: _b, ...fastOrder } = b.order;
    expect(legacyOrder).toEqual(fastOrder);
  });

  it('refuses to run concurrently, since one row is read and rewritten at every step', () => {
    expect(() => createLegacyPricer({ clients: h.clients, deadlineMs: 2_000, clock: Date.now, store, mode: 'concurrent' }))
      .toThrow(/sequential/);
  });
});
