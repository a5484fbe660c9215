import { describe, expect, it } from 'vitest';
import type { Merchant__Output } from '../../src/generated/downstream/v1/Merchant.js';
import { merchantProblems, priceLines } from '../../src/pricing/order-problems.js';

const closed = (opensAt: number): Merchant__Output => ({
  merchantId: 'm-closed', name: 'Closed Kitchen', open: false, acceptingOrders: false, opensAt,
  currency: 'USD', location: { lat: 0, lng: 0 }, found: true, zone: null,
});

describe('order problems', () => {
  it('a closed store says when it opens, as a UTC time, and carries opens_at', () => {
    const [p] = merchantProblems('m-closed', closed(Date.UTC(2026, 10, 25, 18)), Date.UTC(2026, 10, 25, 17, 20));
    expect(p?.violation.description).toContain('opens at 18:00 UTC.');
    expect(p?.metadata).toEqual({ opens_at: '2026-11-25T18:00:00.000Z' });
  });

  it('a store that opens on another day names the date too', () => {
    const [p] = merchantProblems('m-closed', closed(Date.UTC(2026, 10, 26, 0)), Date.UTC(2026, 10, 25, 23, 30));
    expect(p?.violation.description).toContain('opens at 00:00 UTC on 2026-11-26');
  });

  it('an unavailable item on two cart lines is one problem', () => {
    const menu = { merchantId: 'm-1', found: true, items: [{ itemId: 'm-1-sold-out', name: 'Special', priceMinor: 999, available: false }] };
    const line = { itemId: 'm-1-sold-out', quantity: 1, note: '' };
    const { lines, problems } = priceLines([line, { ...line, note: 'extra spicy' }], menu);
    expect(lines).toEqual([]);
    expect(problems.map((p) => p.violation.subject)).toEqual(['items/m-1-sold-out']);
  });

  it('an available item on two cart lines is priced on both', () => {
    const menu = { merchantId: 'm-1', found: true, items: [{ itemId: 'm-1-item-1', name: 'Dish 1', priceMinor: 499, available: true }] };
    const line = { itemId: 'm-1-item-1', quantity: 1, note: '' };
    const { lines, problems } = priceLines([line, { ...line, quantity: 2, note: 'no onions' }], menu);
    expect(problems).toEqual([]);
    expect(lines.map((l) => [l.quantity, l.note])).toEqual([[1, ''], [2, 'no onions']]);
  });
});
