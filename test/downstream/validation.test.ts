import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizeRequest, createDeliveryRequest, failure, sendOrderRequest, startHarness, type Harness } from '../support/downstream.js';

describe('bad input', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('a call without an idempotency key is INVALID_ARGUMENT naming idempotency_key', async () => {
    const err = await failure(h.clients.payments.authorize(authorizeRequest('o-1', { idempotencyKey: '' })));
    expect([err.code, err.reason, err.fieldViolations[0]?.field]).toEqual([status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 'idempotency_key']);
  });

  it('a negative amount is INVALID_ARGUMENT naming amount.minor', async () => {
    const err = await failure(h.clients.payments.authorize(authorizeRequest('o-1', { amount: { currency: 'USD', minor: -5 } })));
    expect(err.fieldViolations[0]?.field).toBe('amount.minor');
  });

  it('a dropoff off the globe is INVALID_ARGUMENT naming dropoff', async () => {
    const err = await failure(h.clients.logistics.createDelivery(createDeliveryRequest('o-1', { dropoff: { lat: 123, lng: 0 } })));
    expect(err.fieldViolations[0]?.field).toBe('dropoff');
  });

  it('a compensation naming neither an id nor the original key is INVALID_ARGUMENT', async () => {
    const err = await failure(h.clients.payments.void({ idempotencyKey: 'o-1:void', orderId: 'o-1' }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
  });

  it('a ticket with a zero quantity is INVALID_ARGUMENT naming the line', async () => {
    const err = await failure(h.clients.merchant.sendOrder(sendOrderRequest('o-1', { lines: [{ itemId: 'm-1-item-1', quantity: 0 }] })));
    expect(err.fieldViolations[0]?.field).toBe('lines[0].quantity');
  });

  it('a burst of malformed calls leaves the server serving and the ledger empty', async () => {
    const junk = [
      h.clients.payments.capture({ idempotencyKey: 'k', orderId: 'o' }),
      h.clients.payments.refund({ idempotencyKey: 'k'.repeat(10_000), orderId: 'o', captureId: 'x' }),
      h.clients.logistics.quoteDelivery({}),
      h.clients.fraud.assess({ idempotencyKey: 'k', orderId: 'o', consumerId: 'c-1', amount: { currency: 'usd', minor: 1 } }),
      h.clients.catalog.getMerchant({}),
      h.clients.admin.getLedger({ limit: -1 }),
      h.clients.admin.setLatency({ rules: [{ target: '*', fixedMs: -1 }] }),
    ];
    const errors = await Promise.all(junk.map((call) => failure(call)));

    expect(errors.every((e) => e.code === status.INVALID_ARGUMENT)).toBe(true);
    expect((await h.clients.catalog.getMerchant({ merchantId: 'm-1' })).found).toBe(true);
    expect(await h.ledger()).toEqual([]);
  });

  it('a capture of an authorization that does not exist is NOT_FOUND', async () => {
    const err = await failure(h.clients.payments.capture({ idempotencyKey: 'o-1:capture', orderId: 'o-1', authorizationId: 'auth-404' }));
    expect(err.code).toBe(status.NOT_FOUND);
  });
});
