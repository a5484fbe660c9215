import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pointAt } from '../../cluster/local/downstream/geo.js';
import { createWorld, ordinaryMerchantIds } from '../../cluster/local/downstream/world.js';
import { FIXTURES } from '../../src/load/demo-world.js';
import { createDeliveryRequest, failure, startHarness, type Harness } from '../support/downstream.js';

describe('the fixture world', () => {
  const now = Date.UTC(2030, 0, 1, 12, 34);
  const world = createWorld({ now: () => now });

  it('m-1 … m-50 are open, accepting, in USD and within a few km of the centre', () => {
    const ids = ordinaryMerchantIds();
    expect(ids).toHaveLength(50);
    for (const id of ids) {
      const m = world.merchant(id);
      expect(m).toMatchObject({ open: true, acceptingOrders: true, currency: 'USD' });
      expect(world.quote(FIXTURES.center, m!.location).distanceKm).toBeLessThan(FIXTURES.maxDeliveryKm);
    }
    expect(world.merchant('m-51')).toBeUndefined();
    expect(world.merchant('m-01')).toBeUndefined();
  });

  it('m-closed is closed until the next full hour and m-paused takes no orders', () => {
    expect(world.merchant('m-closed')).toMatchObject({ open: false, opensAt: Date.UTC(2030, 0, 1, 13, 0) });
    expect(world.merchant('m-paused')).toMatchObject({ open: true, acceptingOrders: false });
  });

  it('every menu has five available dishes and one sold-out item', () => {
    const menu = world.menu('m-7')!;
    expect(menu.filter((i) => i.available).map((i) => [i.itemId, i.priceMinor])).toEqual([
      ['m-7-item-1', 499], ['m-7-item-2', 599], ['m-7-item-3', 699], ['m-7-item-4', 799], ['m-7-item-5', 899],
    ]);
    expect(menu.find((i) => !i.available)?.itemId).toBe('m-7-sold-out');
  });

  it('consumers and payment methods follow their id rules', () => {
    expect(world.consumer('c-42')).toMatchObject({ blocked: false });
    expect(world.consumer('c-blocked')).toMatchObject({ blocked: true });
    expect(world.consumer('c-missing-1')).toBeUndefined();
    expect(world.consumer('x-1')).toBeUndefined();
    expect(world.paymentMethod('c-1', 'pm-0002')).toMatchObject({ last4: '0002', expired: false });
    expect(world.paymentMethod('c-1', 'pm-visa')).toMatchObject({ last4: '4242' });
    expect(world.paymentMethod('c-1', 'pm-expired')).toMatchObject({ expired: true });
    expect(world.paymentMethod('c-1', 'pm-missing')).toBeUndefined();
    expect(world.paymentMethod('c-missing', 'pm-1')).toBeUndefined();
  });

  it('an address is in range below 8 km and out of range beyond', () => {
    const from = world.merchant('m-1')!.location;
    expect(world.quote(from, pointAt(from, 7.9, 10)).inRange).toBe(true);
    expect(world.quote(from, pointAt(from, 8.1, 10)).inRange).toBe(false);
  });
});

describe('the world over gRPC', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('an unknown merchant, menu, consumer or payment method answers found=false', async () => {
    const c = h.clients.catalog;
    const answers = await Promise.all([
      c.getMerchant({ merchantId: 'm-nope' }),
      c.getMenu({ merchantId: 'm-nope' }),
      c.getConsumer({ consumerId: 'c-missing' }),
      c.getPaymentMethod({ consumerId: 'c-1', paymentMethodId: 'pm-missing-9' }),
    ]);
    expect(answers.map((a) => a.found)).toEqual([false, false, false, false]);
  });

  it('a quote to a far address is out of range and says how far and what the limit is', async () => {
    const from = (await h.clients.catalog.getMerchant({ merchantId: 'm-3' })).location!;
    const quote = await h.clients.logistics.quoteDelivery({ merchantId: 'm-3', dropoff: pointAt(from, 20, 180) });
    expect(quote).toMatchObject({ inRange: false, maxKm: 8 });
    expect(quote.distanceKm).toBeCloseTo(20, 1);
  });

  it('a delivery to an out-of-range address is refused with OUT_OF_RANGE', async () => {
    const from = (await h.clients.catalog.getMerchant({ merchantId: 'm-1' })).location!;
    const err = await failure(h.clients.logistics.createDelivery(createDeliveryRequest('o-1', { dropoff: pointAt(from, 12, 90) })));
    expect(err.reason).toBe('OUT_OF_RANGE');
  });
});
