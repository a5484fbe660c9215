import { describe, expect, it } from 'vitest';
import type { StepName } from '../../src/domain/checkout-steps.js';
import type { OrderEvent } from '../../actors/order/order-events.js';
import { applyOrderEvent, emptyOrderState, nextAction, type OrderState } from '../../actors/order/order-state.js';
import { pricedOrder } from '../support/orders.js';

const meta = { v: 1 as const, at: 1, node: 'n1' };
const placed: OrderEvent = { type: 'OrderPlaced', order: pricedOrder(), ...meta };
const ok = (step: StepName, attempts = 1): OrderEvent => ({ type: 'StepSucceeded', step, resultId: `${step}-id`, attempts, ...meta });
const failed = (step: StepName, definitive: boolean): OrderEvent =>
  ({ type: 'StepFailed', step, reason: 'X', message: 'm', definitive, attempts: 1, ...meta });
const undone = (step: StepName): OrderEvent => ({ type: 'StepCompensated', step, attempts: 1, ...meta });
const fold = (...events: OrderEvent[]): OrderState => events.reduce(applyOrderEvent, emptyOrderState);

describe('the order state machine', () => {
  it('runs the steps in order and completes when payment is captured', () => {
    const seen: string[] = [];
    let state = fold(placed);
    for (const step of ['fraud', 'authorize', 'delivery', 'merchant', 'capture'] as const) {
      const action = nextAction(state);
      seen.push(action.kind === 'run' ? action.step : action.kind);
      state = applyOrderEvent(state, ok(step));
    }
    expect(seen).toEqual(['fraud', 'authorize', 'delivery', 'merchant', 'capture']);
    expect(state.status).toBe('COMPLETED');
    expect(nextAction(state)).toEqual({ kind: 'wait' });
  });

  it('reaches each step status as that step succeeds', () => {
    expect(fold(placed, ok('fraud')).status).toBe('FRAUD_CHECKED');
    expect(fold(placed, ok('fraud'), ok('authorize')).status).toBe('PAYMENT_AUTHORIZED');
    expect(fold(placed, ok('fraud'), ok('authorize'), ok('delivery')).status).toBe('DELIVERY_CREATED');
    expect(fold(placed, ok('fraud'), ok('authorize'), ok('delivery'), ok('merchant')).status).toBe('SENT_TO_MERCHANT');
  });

  it('undoes only the completed steps, newest first, after a definitive refusal', () => {
    const state = fold(placed, ok('fraud'), ok('authorize'), ok('delivery'), failed('merchant', true));
    expect(state.status).toBe('COMPENSATING');
    expect(state.compensation?.pending).toEqual(['delivery', 'authorize']);
  });

  it('also undoes the failed step when its outcome is unknown (retry budget spent)', () => {
    const state = fold(placed, ok('fraud'), ok('authorize'), failed('delivery', false));
    expect(state.compensation?.pending).toEqual(['delivery', 'authorize']);
  });

  it('ends FAILED once every compensation is done', () => {
    let state = fold(placed, ok('fraud'), ok('authorize'), failed('delivery', true));
    expect(nextAction(state)).toEqual({ kind: 'compensate', step: 'authorize' });
    state = applyOrderEvent(state, undone('authorize'));
    expect(nextAction(state)).toEqual({ kind: 'close', outcome: 'FAILED' });
    state = applyOrderEvent(state, { type: 'OrderClosed', outcome: 'FAILED', ...meta });
    expect(state.status).toBe('FAILED');
    expect(nextAction(state)).toEqual({ kind: 'wait' });
  });

  it('closes at once when a failure leaves nothing to undo', () => {
    const state = fold(placed, failed('fraud', true));
    expect(nextAction(state)).toEqual({ kind: 'close', outcome: 'FAILED' });
  });

  it('on cancel undoes the step in flight as well as the completed ones, and ends CANCELLED', () => {
    let state = fold(placed, ok('fraud'), ok('authorize'), { type: 'CancelRequested', reason: 'changed my mind', ...meta });
    expect(state.compensation?.pending).toEqual(['delivery', 'authorize']);
    state = fold(placed, ok('fraud'), ok('authorize'), { type: 'CancelRequested', reason: '', ...meta }, undone('delivery'), undone('authorize'));
    expect(nextAction(state)).toEqual({ kind: 'close', outcome: 'CANCELLED' });
  });

  it('ignores a late step success once compensating', () => {
    const state = fold(placed, ok('fraud'), { type: 'CancelRequested', reason: '', ...meta }, ok('authorize'));
    expect(state.status).toBe('COMPENSATING');
    expect(state.compensation?.pending).toEqual(['authorize']);
  });

  it('marks an order that needed a retry, so a completion counts as saved by retry', () => {
    expect(fold(placed, ok('fraud'), ok('authorize', 3)).retried).toBe(true);
    expect(fold(placed, ok('fraud'), ok('authorize')).retried).toBe(false);
  });

  it('counts versions as events are applied', () => {
    expect(fold(placed, ok('fraud'), ok('authorize')).version).toBe(3);
  });

  it('closes an order CANCELLED as soon as it is placed when its cancel arrived first, running no step', () => {
    const cancelled: OrderEvent = { type: 'CancelRequested', reason: 'changed my mind', ...meta };
    expect(fold(cancelled).status).toBe('NEW');
    expect(nextAction(fold(cancelled))).toEqual({ kind: 'wait' });
    expect(nextAction(fold(cancelled, placed))).toEqual({ kind: 'close', outcome: 'CANCELLED' });
  });

  const fallback = (step: StepName, then: 'proceed' | 'second-channel'): OrderEvent => ({
    type: 'FallbackTaken', step, then, dependency: step === 'fraud' ? 'fraud' : 'merchant_tablet',
    rule: step === 'fraud' ? 'ALLOW_SMALL_ORDER_UNCHECKED' : 'PHONE_CHANNEL', detail: 'd', attempts: 6, ...meta,
  });

  it('a "proceed" fallback completes its step without a call, and the order moves on to the next', () => {
    const state = fold(placed, fallback('fraud', 'proceed'));
    expect(state.status).toBe('FRAUD_CHECKED');
    expect(state.completed.fraud?.resultId).toBe('fallback:ALLOW_SMALL_ORDER_UNCHECKED');
    expect(nextAction(state)).toEqual({ kind: 'run', step: 'authorize', channel: 'primary' });
  });

  it('a "second-channel" fallback leaves its step to run again, on the second channel', () => {
    const state = fold(placed, ok('fraud'), ok('authorize'), ok('delivery'), fallback('merchant', 'second-channel'));
    expect(state.status).toBe('DELIVERY_CREATED');
    expect(nextAction(state)).toEqual({ kind: 'run', step: 'merchant', channel: 'second' });
    expect(fold(placed, ok('fraud'), ok('authorize'), ok('delivery'), fallback('merchant', 'second-channel'), ok('merchant')).status).toBe('SENT_TO_MERCHANT');
  });

  it('keeps every fallback taken, pricing\'s from OrderPlaced first, and does not count them as retries', () => {
    const withPricing: OrderEvent = { ...placed, order: pricedOrder({ fallbacks: [{ dependency: 'promotions', rule: 'PRICE_WITHOUT_DISCOUNT', detail: 'p', at: 1 }] }) } as OrderEvent;
    const state = fold(withPricing, fallback('fraud', 'proceed'));
    expect(state.fallbacks.map((f) => f.dependency)).toEqual(['promotions', 'fraud']);
    expect(state.retried).toBe(false);
  });

  it('undoes a step completed on its second channel like any other', () => {
    const state = fold(placed, ok('fraud'), ok('authorize'), ok('delivery'), fallback('merchant', 'second-channel'), ok('merchant'), failed('capture', true));
    expect(state.compensation?.pending).toEqual(['merchant', 'delivery', 'authorize']);
  });
});
