import { describe, expect, it } from 'vitest';
import type { JournalRow } from '../../actors/order/journal-of.js';
import type { OrderEvent } from '../../actors/order/order-events.js';
import { journalProblems } from '../../cluster/local/chaos/chaos-check.js';
import { savedShares } from '../../cluster/local/chaos/saved-shares.js';
import { pricedOrder } from '../support/orders.js';

const meta = { v: 1 as const, at: 1, node: 'n1' };
const rows = (...events: OrderEvent[]): JournalRow[] => events.map((event, i) => ({ seq: i + 1, writer: 'n1', at: 1, type: event.type, event }));
const placed: OrderEvent = { type: 'OrderPlaced', order: pricedOrder(), ...meta };
const ok = (step: 'fraud' | 'authorize' | 'delivery' | 'merchant' | 'capture', attempts = 1): OrderEvent => ({ type: 'StepSucceeded', step, resultId: 'r', attempts, ...meta });
const phone: OrderEvent = { type: 'FallbackTaken', step: 'merchant', dependency: 'merchant_tablet', rule: 'PHONE_CHANNEL', then: 'second-channel', detail: 'd', attempts: 6, ...meta };
const unchecked: OrderEvent = { type: 'FallbackTaken', step: 'fraud', dependency: 'fraud', rule: 'ALLOW_SMALL_ORDER_UNCHECKED', then: 'proceed', detail: 'd', attempts: 6, ...meta };

describe('the chaos checks of fallbacks', () => {
  it('a fallback taken in its step\'s turn is a linear history', () => {
    expect(journalProblems(rows(placed, unchecked, ok('authorize'), ok('delivery'), phone, ok('merchant'), ok('capture')))).toEqual([]);
  });

  it('a fallback taken twice for one step, or out of its turn, is flagged', () => {
    expect(journalProblems(rows(placed, ok('fraud'), ok('authorize'), ok('delivery'), phone, phone))).toEqual([expect.stringContaining('seq 6: FallbackTaken merchant out of turn')]);
    expect(journalProblems(rows(placed, phone))).toEqual([expect.stringContaining('seq 2: FallbackTaken merchant out of turn')]);
  });

  it('counts completed orders saved by retry and by fallback as shares of all orders', () => {
    const done = (...events: OrderEvent[]) => rows(placed, ...events, ok('authorize'), ok('delivery'), ok('merchant'), ok('capture'));
    const shares = savedShares([done(ok('fraud')), done(ok('fraud', 3)), done(unchecked), rows(placed, unchecked)]);
    expect(shares).toMatchObject({ orders: 4, completed: 3, savedByRetry: 1, savedByFallback: 1, fallbacks: { fraud: 2 }, retryPct: 25, fallbackPct: 25 });
  });
});
