import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizeRequest, createDeliveryRequest, failure, sendOrderRequest, startHarness, type Harness } from '../support/downstream.js';

describe('compensation by the original step key', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('a Void by the authorize key before the Authorize fences the key, so the late Authorize fails with ALREADY_CANCELLED', async () => {
    const voided = await h.clients.payments.void({ idempotencyKey: 'o-1:authorize:void', orderId: 'o-1', authorizeIdempotencyKey: 'o-1:authorize' });
    const late = await failure(h.clients.payments.authorize(authorizeRequest('o-1')));

    expect(voided.outcome).toBe('TOMBSTONED');
    expect([late.code, late.reason]).toEqual([status.FAILED_PRECONDITION, 'ALREADY_CANCELLED']);
    const entries = await h.ledger('o-1');
    expect(entries.map((e) => [e.operation, e.tombstone, e.compensatesKey])).toEqual([['payments.Void', true, 'o-1:authorize']]);
  });

  it('a Refund by the capture key before the Capture fences the key, so the late Capture fails with ALREADY_CANCELLED', async () => {
    const { authorizationId } = await h.clients.payments.authorize(authorizeRequest('o-2'));
    const refunded = await h.clients.payments.refund({ idempotencyKey: 'o-2:capture:refund', orderId: 'o-2', captureIdempotencyKey: 'o-2:capture' });
    const late = await failure(h.clients.payments.capture({ idempotencyKey: 'o-2:capture', orderId: 'o-2', authorizationId }));

    expect(refunded.outcome).toBe('TOMBSTONED');
    expect(late.reason).toBe('ALREADY_CANCELLED');
    expect((await h.ledger('o-2')).some((e) => e.operation === 'payments.Capture')).toBe(false);
  });

  it('a CancelDelivery by the create key before the CreateDelivery fences the key, so no delivery is ever created', async () => {
    const cancelled = await h.clients.logistics.cancelDelivery({ idempotencyKey: 'o-3:delivery:cancel', orderId: 'o-3', createIdempotencyKey: 'o-3:delivery' });
    const late = await failure(h.clients.logistics.createDelivery(createDeliveryRequest('o-3')));

    expect(cancelled.outcome).toBe('TOMBSTONED');
    expect(late.reason).toBe('ALREADY_CANCELLED');
    expect((await h.ledger('o-3')).some((e) => e.operation === 'logistics.CreateDelivery')).toBe(false);
  });

  it('a CancelTicket by the send key before the SendOrder fences the key, so no ticket is ever opened', async () => {
    const cancelled = await h.clients.merchant.cancelTicket({ idempotencyKey: 'o-4:merchant:cancel', orderId: 'o-4', sendIdempotencyKey: 'o-4:merchant' });
    const late = await failure(h.clients.merchant.sendOrder(sendOrderRequest('o-4')));

    expect(cancelled.outcome).toBe('TOMBSTONED');
    expect(late.reason).toBe('ALREADY_CANCELLED');
    expect((await h.ledger('o-4')).some((e) => e.operation === 'merchant.SendOrder')).toBe(false);
  });

  it('a cancel by the create key finds and closes the delivery that key created', async () => {
    const { deliveryId } = await h.clients.logistics.createDelivery(createDeliveryRequest('o-5'));
    const cancelled = await h.clients.logistics.cancelDelivery({ idempotencyKey: 'o-5:delivery:cancel', orderId: 'o-5', createIdempotencyKey: 'o-5:delivery' });

    expect(cancelled).toEqual({ deliveryId, outcome: 'COMPENSATED' });
    const cancel = (await h.ledger('o-5')).find((e) => e.operation === 'logistics.CancelDelivery');
    expect(cancel).toMatchObject({ refId: deliveryId, compensatesKey: 'o-5:delivery', tombstone: false });
  });

  it('compensating something already compensated is a no-op success that adds no ledger entry', async () => {
    const { ticketId } = await h.clients.merchant.sendOrder(sendOrderRequest('o-6'));
    await h.clients.merchant.cancelTicket({ idempotencyKey: 'o-6:cancel-a', orderId: 'o-6', ticketId });
    const again = await h.clients.merchant.cancelTicket({ idempotencyKey: 'o-6:cancel-b', orderId: 'o-6', sendIdempotencyKey: 'o-6:merchant' });

    expect(again).toEqual({ ticketId, outcome: 'ALREADY_COMPENSATED' });
    expect((await h.ledger('o-6')).filter((e) => e.operation === 'merchant.CancelTicket')).toHaveLength(1);
  });

  it('a compensation by key of an original that failed fatally reports NOTHING_TO_COMPENSATE and fences nothing', async () => {
    await failure(h.clients.payments.authorize(authorizeRequest('o-7', { paymentMethodId: 'pm-0002' })));
    const voided = await h.clients.payments.void({ idempotencyKey: 'o-7:void', orderId: 'o-7', authorizeIdempotencyKey: 'o-7:authorize' });

    expect(voided.outcome).toBe('NOTHING_TO_COMPENSATE');
    expect(await h.ledger('o-7')).toHaveLength(0);
  });

  it('a compensation naming a key of another order is refused as INVALID_ARGUMENT', async () => {
    await h.clients.logistics.createDelivery(createDeliveryRequest('o-8'));
    const err = await failure(h.clients.logistics.cancelDelivery({ idempotencyKey: 'o-9:cancel', orderId: 'o-9', createIdempotencyKey: 'o-8:delivery' }));

    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations[0]?.field).toBe('create_idempotency_key');
  });
});
