import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BusinessRejection, TransientError } from '../../src/domain/errors.js';
import type { PlaceOrderInput } from '../../src/domain/place-order.js';
import { createOrderPricer, type OrderPricer } from '../../src/pricing/price-order.js';
import { startHarness, type Harness } from '../support/downstream.js';
import { addressNear, merchantLocation, placeOrderInput } from './pricing-fixtures.js';

// 17:20 UTC: m-closed (which opens on the next full hour) opens at 18:00 today.
const NOW = Date.UTC(2026, 10, 25, 17, 20);

async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  return work.then(() => { throw new Error('expected pricing to fail'); }, (err: unknown) => err);
}

async function businessRejection(work: Promise<unknown>): Promise<BusinessRejection> {
  const err = await rejectionOf(work);
  expect(err).toBeInstanceOf(BusinessRejection);
  return err as BusinessRejection;
}

describe('pricing an order against the real downstream services', () => {
  let h: Harness;
  let pricer: OrderPricer;
  const price = (over: Partial<PlaceOrderInput> = {}) => pricer.price(placeOrderInput(over), 'o-1');

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    pricer = createOrderPricer({ clients: h.clients, deadlineMs: 2_000, clock: () => NOW });
  });
  afterEach(async () => {
    await h.clients.admin.reset({ clearDefaultFaults: false });
  });
  afterAll(async () => { await h?.stop(); });

  it('prices a valid order from the menu prices, the delivery quote and the tip', async () => {
    const { order } = await price({
      lines: [{ itemId: 'm-1-item-1', quantity: 2, note: '' }, { itemId: 'm-1-item-3', quantity: 1, note: 'no onions' }],
      tipMinor: 300,
    });
    expect(order.lines).toEqual([
      { itemId: 'm-1-item-1', name: 'Dish 1', quantity: 2, unitPriceMinor: 499, note: '' },
      { itemId: 'm-1-item-3', name: 'Dish 3', quantity: 1, unitPriceMinor: 699, note: 'no onions' },
    ]);
    // Fixture rules: item k costs 399 + 100·k; delivery costs 199 + 50 per km (2 km here).
    expect(order).toMatchObject({ currency: 'USD', subtotalMinor: 1697, deliveryFeeMinor: 299, tipMinor: 300, totalMinor: 2296 });
  });

  it('carries the ids, the address, the merchant\'s location as pickup and the clock\'s time', async () => {
    const input = placeOrderInput();
    const { order } = await pricer.price(input, 'o-42');
    expect(order).toMatchObject({
      orderId: 'o-42', consumerId: 'c-1', merchantId: 'm-1', paymentMethodId: 'pm-1111',
      address: input.address, pickup: merchantLocation('m-1'), placedAt: NOW,
    });
  });

  it('reports a timing for every task of the graph', async () => {
    const { timings } = await price();
    expect(timings.tasks.map((t) => t.task).sort()).toEqual([...pricer.steps].sort());
    expect(timings.tasks.find((t) => t.task === 'quote')?.after).toEqual(['merchant']);
  });

  const single: Array<{ problem: string; over: Partial<PlaceOrderInput>; subject: string; says: string }> = [
    { problem: 'MERCHANT_NOT_FOUND', over: { merchantId: 'm-nowhere', lines: [{ itemId: 'm-nowhere-item-1', quantity: 1, note: '' }] }, subject: 'merchants/m-nowhere', says: 'Choose another restaurant' },
    { problem: 'STORE_CLOSED', over: { merchantId: 'm-closed' }, subject: 'merchants/m-closed', says: 'opens at 18:00 UTC' },
    { problem: 'STORE_NOT_ACCEPTING_ORDERS', over: { merchantId: 'm-paused' }, subject: 'merchants/m-paused', says: 'choose another restaurant' },
    { problem: 'ITEM_UNAVAILABLE', over: { lines: [{ itemId: 'm-1-sold-out', quantity: 1, note: '' }] }, subject: 'items/m-1-sold-out', says: 'remove it from your cart' },
    { problem: 'ITEM_NOT_ON_MENU', over: { lines: [{ itemId: 'm-1-item-99', quantity: 1, note: '' }] }, subject: 'items/m-1-item-99', says: 'remove it from your cart' },
    { problem: 'ADDRESS_OUT_OF_RANGE', over: { address: addressNear('m-1', 9) }, subject: 'address', says: 'Choose an address within 8 km, or pick up' },
    { problem: 'CONSUMER_NOT_FOUND', over: { consumerId: 'c-missing-7' }, subject: 'consumers/c-missing-7', says: 'Sign in again' },
    { problem: 'CONSUMER_BLOCKED', over: { consumerId: 'c-blocked' }, subject: 'consumers/c-blocked', says: 'Contact support' },
    { problem: 'PAYMENT_METHOD_NOT_FOUND', over: { paymentMethodId: 'pm-missing-1' }, subject: 'payment_methods/pm-missing-1', says: 'Choose another payment method' },
    { problem: 'PAYMENT_METHOD_EXPIRED', over: { paymentMethodId: 'pm-expired' }, subject: 'payment_methods/pm-expired', says: 'choose another payment method' },
  ];

  for (const c of single) {
    it(`rejects with ${c.problem}, naming ${c.subject} and what to do`, async () => {
      const err = await businessRejection(price(c.over));
      expect(err.reason).toBe(c.problem);
      expect(err.violations).toEqual([{ type: c.problem, subject: c.subject, description: expect.stringContaining(c.says) }]);
      expect(err.customerMessage).toContain(c.says);
    });
  }

  it('puts a closed store\'s opening time in the metadata', async () => {
    const err = await businessRejection(price({ merchantId: 'm-closed' }));
    expect(err.metadata).toMatchObject({ opens_at: '2026-11-25T18:00:00.000Z' });
  });

  it('puts the distance and the limit of an out-of-range address in the metadata', async () => {
    const err = await businessRejection(price({ address: addressNear('m-1', 9) }));
    expect(err.metadata).toMatchObject({ distance_km: '9.0', max_km: '8' });
  });

  it('reports every unavailable or unknown item, each by its subject', async () => {
    const err = await businessRejection(price({
      lines: [
        { itemId: 'm-1-item-1', quantity: 1, note: '' },
        { itemId: 'm-1-sold-out', quantity: 1, note: '' },
        { itemId: 'm-2-item-1', quantity: 1, note: '' },
        { itemId: 'm-1-item-77', quantity: 1, note: '' },
      ],
    }));
    expect(err.violations.map((v) => [v.type, v.subject])).toEqual([
      ['ITEM_UNAVAILABLE', 'items/m-1-sold-out'],
      ['ITEM_NOT_ON_MENU', 'items/m-2-item-1'],
      ['ITEM_NOT_ON_MENU', 'items/m-1-item-77'],
    ]);
    expect(err.metadata).toMatchObject({ unavailable_items: 'm-1-sold-out', items_not_on_menu: 'm-2-item-1,m-1-item-77' });
  });

  it('reports a closed store and a sold-out item together, the store first', async () => {
    const err = await businessRejection(price({ merchantId: 'm-closed', lines: [{ itemId: 'm-closed-sold-out', quantity: 1, note: '' }] }));
    expect(err.reason).toBe('STORE_CLOSED');
    expect(err.violations.map((v) => v.type)).toEqual(['STORE_CLOSED', 'ITEM_UNAVAILABLE']);
    expect(err.customerMessage).toContain('opens at 18:00 UTC');
    expect(err.customerMessage).toContain('remove it from your cart');
  });

  it('reports every kind of problem at once, most fundamental first', async () => {
    const err = await businessRejection(price({
      consumerId: 'c-blocked',
      merchantId: 'm-closed',
      lines: [{ itemId: 'm-closed-sold-out', quantity: 1, note: '' }],
      address: addressNear('m-closed', 12),
      paymentMethodId: 'pm-expired',
    }));
    expect(err.violations.map((v) => v.type)).toEqual([
      'CONSUMER_BLOCKED', 'STORE_CLOSED', 'ITEM_UNAVAILABLE', 'ADDRESS_OUT_OF_RANGE', 'PAYMENT_METHOD_EXPIRED',
    ]);
  });

  it('reports an unknown merchant once, not once per cart item', async () => {
    const err = await businessRejection(price({
      merchantId: 'm-nowhere',
      lines: [{ itemId: 'x-1', quantity: 1, note: '' }, { itemId: 'x-2', quantity: 1, note: '' }],
    }));
    expect(err.violations.map((v) => v.type)).toEqual(['MERCHANT_NOT_FOUND']);
  });

  it('turns an unavailable catalog into a TransientError', async () => {
    await h.clients.admin.setFaults({ rules: [{ target: 'catalog.GetMenu', kind: 'UNAVAILABLE' }] });
    expect(await rejectionOf(price())).toBeInstanceOf(TransientError);
  });

  it('turns a call that outlives its deadline into a TransientError', async () => {
    await h.clients.admin.setLatency({ rules: [{ target: 'catalog.GetConsumer', fixedMs: 1_000 }] });
    const impatient = createOrderPricer({ clients: h.clients, deadlineMs: 100, clock: () => NOW });
    expect(await rejectionOf(impatient.price(placeOrderInput(), 'o-1'))).toBeInstanceOf(TransientError);
  });

  it('abandons the other fetches on a transient failure: no waiting for slow ones, no dependent calls', async () => {
    await h.clients.admin.setLatency({ rules: [{ target: 'catalog.GetMenu', fixedMs: 1_500 }, { target: 'catalog.GetMerchant', fixedMs: 50 }] });
    await h.clients.admin.setFaults({ rules: [{ target: 'catalog.GetConsumer', kind: 'UNAVAILABLE' }] });
    const before = (await h.clients.admin.getLedger({})).calls['logistics.QuoteDelivery'] ?? 0;
    const started = performance.now();
    expect(await rejectionOf(price())).toBeInstanceOf(TransientError);
    expect(performance.now() - started).toBeLessThan(1_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await h.clients.admin.getLedger({})).calls['logistics.QuoteDelivery'] ?? 0).toBe(before);
  });
});
