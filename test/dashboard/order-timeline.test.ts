import { describe, expect, it } from 'vitest';
import { timelineOf } from '../../src/dashboard/order-timeline.js';
import type { StoredJournalRow } from '../../src/storage/journal-reader.js';
import type { OrderEvent } from '../../actors/order/order-events.js';
import type { PricedOrder } from '../../src/domain/order.js';

const T0 = 1_700_000_000_000;
const order = { merchantId: 'm-1', consumerId: 'c-secret', currency: 'USD', totalMinor: 2_450, placedAt: T0 } as unknown as PricedOrder;
const stored = (seq: number, writer: string, event: OrderEvent): StoredJournalRow => ({ seq, writer, eventType: event.type, schemaVersion: 1, payload: JSON.stringify(event), createdAt: event.at });

describe('an order\'s timeline', () => {
  it('lists each journal row with time, type, step, attempt, writer and why', () => {
    const t = timelineOf('o-1', [
      stored(3, 'node-2', { type: 'StepSucceeded', v: 1, step: 'fraud', resultId: 'f-1', attempts: 1, at: T0 + 40, node: 'node-2' }),
      stored(1, 'node-1', { type: 'OrderPlaced', v: 1, order, at: T0, node: 'node-1' }),
      stored(2, 'node-1', { type: 'StepFailed', v: 1, step: 'fraud', reason: 'UNAVAILABLE', message: 'try later', definitive: false, attempts: 3, at: T0 + 25, node: 'node-1' }),
    ]);
    expect(t?.entries).toEqual([
      { seq: 1, at: T0, sinceStartMs: 0, type: 'OrderPlaced', step: null, attempt: null, writer: 'node-1', detail: 'merchant m-1, total 2450 USD' },
      { seq: 2, at: T0 + 25, sinceStartMs: 25, type: 'StepFailed', step: 'fraud', attempt: 3, writer: 'node-1', detail: 'UNAVAILABLE (outcome unknown)' },
      { seq: 3, at: T0 + 40, sinceStartMs: 40, type: 'StepSucceeded', step: 'fraud', attempt: 1, writer: 'node-2', detail: '' },
    ]);
    expect(JSON.stringify(t)).not.toContain('c-secret');
  });

  it('names every fallback: pricing\'s and the estimated parts on OrderPlaced, a step\'s on its FallbackTaken row', () => {
    const estimated = { ...order, estimated: ['delivery_fee', 'eta'], fallbacks: [{ dependency: 'delivery_quote', rule: 'ZONE_DEFAULT_DELIVERY', detail: 'zone fee 399', at: T0 }] } as PricedOrder;
    const t = timelineOf('o-2', [
      stored(1, 'node-1', { type: 'OrderPlaced', v: 1, order: estimated, at: T0, node: 'node-1' }),
      stored(2, 'node-1', {
        type: 'FallbackTaken', v: 1, step: 'fraud', dependency: 'fraud', rule: 'ALLOW_SMALL_ORDER_UNCHECKED', then: 'proceed',
        detail: 'within the limit', attempts: 6, at: T0 + 300, node: 'node-1',
      }),
    ]);
    expect(t?.entries.map((e) => e.detail)).toEqual([
      'merchant m-1, total 2450 USD; estimated: delivery_fee, eta; fallback ZONE_DEFAULT_DELIVERY: zone fee 399',
      'fallback ALLOW_SMALL_ORDER_UNCHECKED: within the limit',
    ]);
    expect(t?.status).toBe('FRAUD_CHECKED');
  });

  it('is absent for an order with no journal', () => {
    expect(timelineOf('o-none', [])).toBeUndefined();
  });
});
