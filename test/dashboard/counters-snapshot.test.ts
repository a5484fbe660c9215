import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { readCounters } from '../../src/dashboard/counters-snapshot.js';
import { createOrderMetrics } from '../../actors/order-metrics.js';
import { emptyOrderState } from '../../actors/order/order-state.js';
import type { PricedOrder } from '../../src/domain/order.js';

const T0 = 1_700_000_000_000;
const order = { merchantId: 'm-1', consumerId: 'c-1', currency: 'USD', totalMinor: 2_450, placedAt: T0 } as unknown as PricedOrder;

describe('counters read from a node\'s registry', () => {
  it('reads the order metrics as they are registered, and zeros from an empty registry', async () => {
    const registry = new Registry();
    const metrics = createOrderMetrics(registry);
    const placed = { ...emptyOrderState, status: 'PLACED' as const, order };
    metrics.onEvent('o-1', { type: 'OrderPlaced', v: 1, order, at: T0, node: 'n' }, placed);
    metrics.onEvent('o-1', { type: 'StepSucceeded', v: 1, step: 'capture', resultId: 'c', attempts: 2, at: T0 + 80, node: 'n' }, { ...placed, status: 'COMPLETED', retried: true });
    metrics.onAttemptFailed('capture', 'run');
    metrics.onAttemptFailed('capture', 'compensate');
    const counters = await readCounters(registry);
    expect(counters).toMatchObject({ placed: 1, terminal: { COMPLETED: 1 }, failedAttempts: 1, savedByRetry: 1, compensations: 0 });
    expect(counters.durationBuckets.find(([le]) => le === 0.1)?.[1]).toBe(1);
    expect(counters.durationBuckets.at(-1)).toEqual([Infinity, 1]);
    expect(await readCounters(new Registry())).toMatchObject({ placed: 0, terminal: {}, durationBuckets: [] });
  });
});
