import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BusinessRejection, TransientError } from '../../src/domain/errors.js';
import type { FaultRule } from '../../src/generated/downstream/v1/FaultRule.js';
import type { PlaceOrderInput } from '../../src/domain/place-order.js';
import { FIXTURES } from '../../src/load/demo-world.js';
import { createOrderPricer, type OrderPricer } from '../../src/pricing/price-order.js';
import { DEFAULT_FALLBACK_SETTINGS, NO_FALLBACKS, type FallbackSettings } from '../../src/resilience/fallback-settings.js';
import { startHarness, type Harness } from '../support/downstream.js';
import { addressNear, placeOrderInput } from './pricing-fixtures.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0);
const down = (target: string): FaultRule => ({ target, kind: 'UNAVAILABLE' });

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  return work.then(() => { throw new Error('expected pricing to fail'); }, (err: unknown) => err);
}

describe('pricing fallbacks against the real downstream services', () => {
  let h: Harness;
  const pricer = (fallbacks: FallbackSettings = DEFAULT_FALLBACK_SETTINGS): OrderPricer =>
    createOrderPricer({ clients: h.clients, deadlineMs: 500, clock: () => NOW, fallbacks });
  const price = (over: Partial<PlaceOrderInput> = {}, fallbacks?: FallbackSettings) =>
    pricer(fallbacks).price(placeOrderInput(over), 'o-fb');
  const promoted = { merchantId: 'm-41' };

  beforeAll(async () => { h = await startHarness({ now: () => NOW }); });
  afterEach(async () => { await h.clients.admin.reset({ clearDefaultFaults: false }); });
  afterAll(async () => { await h?.stop(); });

  it('promotions up: the confirmed discount comes off the subtotal and nothing is marked as a fallback', async () => {
    const { order } = await price(promoted);
    // Two of item 1 (499 each): 10% of 998, rounded down.
    expect(order).toMatchObject({ subtotalMinor: 998, discountMinor: 99, promotionId: FIXTURES.promotion.promotionId });
    expect(order.totalMinor).toBe(998 - 99 + order.deliveryFeeMinor);
    expect(order.fallbacks).toBeUndefined();
  });

  it('promotions down: prices without the discount and records PRICE_WITHOUT_DISCOUNT in the order', async () => {
    await h.clients.admin.setFaults({ rules: [down('catalog.GetPromotion')] });
    const { order } = await price(promoted);
    expect(order.discountMinor ?? 0).toBe(0);
    expect(order.totalMinor).toBe(order.subtotalMinor + order.deliveryFeeMinor);
    expect(order.fallbacks).toEqual([expect.objectContaining({ dependency: 'promotions', rule: 'PRICE_WITHOUT_DISCOUNT', at: NOW })]);
    expect(order.estimated).toBeUndefined();
  });

  it('promotions down with the fallback off: the order is not priced (retryable)', async () => {
    await h.clients.admin.setFaults({ rules: [down('catalog.GetPromotion')] });
    expect(await failureOf(price(promoted, NO_FALLBACKS))).toBeInstanceOf(TransientError);
  });

  it('delivery quote up: the quoted fee and ETA, nothing estimated', async () => {
    const { order } = await price();
    expect(order.deliveryFeeMinor).toBe(299);
    expect(order.etaMinutes).toBe(21);
    expect(order.estimated).toBeUndefined();
  });

  it('delivery quote down: the zone default fee and ETA, both marked estimated, recorded as ZONE_DEFAULT_DELIVERY', async () => {
    await h.clients.admin.setFaults({ rules: [down('logistics.QuoteDelivery')] });
    const { order } = await price();
    expect(order).toMatchObject({ deliveryFeeMinor: FIXTURES.zoneDefaultFeeMinor, etaMinutes: FIXTURES.zoneDefaultEtaMinutes, estimated: ['delivery_fee', 'eta'] });
    expect(order.totalMinor).toBe(order.subtotalMinor + FIXTURES.zoneDefaultFeeMinor);
    expect(order.fallbacks).toEqual([expect.objectContaining({ dependency: 'delivery_quote', rule: 'ZONE_DEFAULT_DELIVERY' })]);
  });

  it('delivery quote down: the default fee never exceeds the configured cap', async () => {
    await h.clients.admin.setFaults({ rules: [down('logistics.QuoteDelivery')] });
    const capped: FallbackSettings = { ...DEFAULT_FALLBACK_SETTINGS, deliveryQuote: { enabled: true, feeCapMinor: 250 } };
    const { order } = await price({}, capped);
    expect(order.deliveryFeeMinor).toBe(250);
  });

  it('delivery quote down: an address outside the zone is still rejected as out of range', async () => {
    await h.clients.admin.setFaults({ rules: [down('logistics.QuoteDelivery')] });
    const err = await failureOf(price({ address: addressNear('m-1', 9) }));
    expect(err).toBeInstanceOf(BusinessRejection);
    expect((err as BusinessRejection).reason).toBe('ADDRESS_OUT_OF_RANGE');
  });

  it('delivery quote down with the fallback off: the order is not priced (retryable)', async () => {
    await h.clients.admin.setFaults({ rules: [down('logistics.QuoteDelivery')] });
    expect(await failureOf(price({}, NO_FALLBACKS))).toBeInstanceOf(TransientError);
  });

  it('both down at once: both fallbacks recorded, in the order they apply', async () => {
    await h.clients.admin.setFaults({ rules: [down('catalog.GetPromotion'), down('logistics.QuoteDelivery')] });
    const { order } = await price(promoted);
    expect(order.fallbacks?.map((f) => f.dependency)).toEqual(['promotions', 'delivery_quote']);
  });

  it('retries a dependency once before falling back: a single failed call changes nothing', async () => {
    await h.clients.admin.setFaults({ rules: [{ ...down('logistics.QuoteDelivery'), firstCalls: 1 }, { ...down('catalog.GetPromotion'), firstCalls: 1 }] });
    const { order } = await price(promoted);
    expect(order.fallbacks).toBeUndefined();
    expect(order.discountMinor).toBe(99);
    expect(order.deliveryFeeMinor).not.toBe(FIXTURES.zoneDefaultFeeMinor);
  });

  for (const target of ['catalog.GetMerchant', 'catalog.GetMenu', 'catalog.GetConsumer', 'catalog.GetPaymentMethod']) {
    it(`never falls back for the critical ${target}: down, the order is not priced`, async () => {
      await h.clients.admin.setFaults({ rules: [down(target)] });
      expect(await failureOf(price(promoted))).toBeInstanceOf(TransientError);
    });
  }
});
