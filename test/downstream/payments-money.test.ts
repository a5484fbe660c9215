import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizeRequest, failure, startHarness, type Harness } from '../support/downstream.js';

describe('payments money rules', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const authorize = async (orderId: string, minor = 2500) =>
    (await h.clients.payments.authorize(authorizeRequest(orderId, { amount: { currency: 'USD', minor } }))).authorizationId;

  it('a capture takes the whole authorized amount when no amount is given', async () => {
    const authorizationId = await authorize('o-1', 1234);
    const { captureId } = await h.clients.payments.capture({ idempotencyKey: 'o-1:capture', orderId: 'o-1', authorizationId });

    const capture = (await h.ledger('o-1')).find((e) => e.operation === 'payments.Capture');
    expect(capture).toMatchObject({ refId: captureId, parentRefId: authorizationId, amountMinor: 1234 });
  });

  it('a capture of more than the authorized amount is refused with AMOUNT_EXCEEDS_AUTHORIZATION', async () => {
    const authorizationId = await authorize('o-2', 1000);
    const err = await failure(h.clients.payments.capture({ idempotencyKey: 'o-2:capture', orderId: 'o-2', authorizationId, amount: { currency: 'USD', minor: 1001 } }));

    expect([err.code, err.reason]).toEqual([status.FAILED_PRECONDITION, 'AMOUNT_EXCEEDS_AUTHORIZATION']);
  });

  it('an authorization is captured once: a capture under a second key is refused with ALREADY_CAPTURED', async () => {
    const authorizationId = await authorize('o-3');
    await h.clients.payments.capture({ idempotencyKey: 'o-3:capture', orderId: 'o-3', authorizationId });
    const err = await failure(h.clients.payments.capture({ idempotencyKey: 'o-3:capture-again', orderId: 'o-3', authorizationId }));

    expect(err.reason).toBe('ALREADY_CAPTURED');
    expect((await h.ledger('o-3')).filter((e) => e.operation === 'payments.Capture')).toHaveLength(1);
  });

  it('a voided authorization cannot be captured', async () => {
    const authorizationId = await authorize('o-4');
    await h.clients.payments.void({ idempotencyKey: 'o-4:void', orderId: 'o-4', authorizationId });
    const err = await failure(h.clients.payments.capture({ idempotencyKey: 'o-4:capture', orderId: 'o-4', authorizationId }));

    expect(err.reason).toBe('AUTHORIZATION_VOIDED');
  });

  it('a void of a captured, unrefunded authorization is refused with CAPTURE_NOT_REFUNDED', async () => {
    const authorizationId = await authorize('o-5');
    await h.clients.payments.capture({ idempotencyKey: 'o-5:capture', orderId: 'o-5', authorizationId });
    const err = await failure(h.clients.payments.void({ idempotencyKey: 'o-5:void', orderId: 'o-5', authorizationId }));

    expect([err.code, err.reason]).toEqual([status.FAILED_PRECONDITION, 'CAPTURE_NOT_REFUNDED']);
  });

  it('a void refused before the refund succeeds, as a no-op, under the same key after the refund', async () => {
    const authorizationId = await authorize('o-6');
    await h.clients.payments.capture({ idempotencyKey: 'o-6:capture', orderId: 'o-6', authorizationId });
    await failure(h.clients.payments.void({ idempotencyKey: 'o-6:void', orderId: 'o-6', authorizationId }));
    await h.clients.payments.refund({ idempotencyKey: 'o-6:refund', orderId: 'o-6', captureIdempotencyKey: 'o-6:capture' });
    const voided = await h.clients.payments.void({ idempotencyKey: 'o-6:void', orderId: 'o-6', authorizationId });

    expect(voided.outcome).toBe('ALREADY_COMPENSATED');
    expect((await h.ledger('o-6')).map((e) => e.operation)).toEqual(['payments.Authorize', 'payments.Capture', 'payments.Refund']);
  });

  it('a capture is refunded once: a refund under a second key changes nothing', async () => {
    const authorizationId = await authorize('o-7');
    const { captureId } = await h.clients.payments.capture({ idempotencyKey: 'o-7:capture', orderId: 'o-7', authorizationId });
    const first = await h.clients.payments.refund({ idempotencyKey: 'o-7:refund', orderId: 'o-7', captureId });
    const second = await h.clients.payments.refund({ idempotencyKey: 'o-7:refund-again', orderId: 'o-7', captureId });

    expect(first.outcome).toBe('COMPENSATED');
    expect(second).toEqual({ refundId: first.refundId, outcome: 'ALREADY_COMPENSATED', captureId });
    expect((await h.ledger('o-7')).filter((e) => e.operation === 'payments.Refund')).toHaveLength(1);
  });

  it('a refund of more than was captured is refused with AMOUNT_EXCEEDS_CAPTURE', async () => {
    const authorizationId = await authorize('o-8', 1000);
    const { captureId } = await h.clients.payments.capture({ idempotencyKey: 'o-8:capture', orderId: 'o-8', authorizationId, amount: { currency: 'USD', minor: 600 } });
    const err = await failure(h.clients.payments.refund({ idempotencyKey: 'o-8:refund', orderId: 'o-8', captureId, amount: { currency: 'USD', minor: 700 } }));

    expect(err.reason).toBe('AMOUNT_EXCEEDS_CAPTURE');
  });

  it('an expired card is declined at Authorize', async () => {
    const err = await failure(h.clients.payments.authorize(authorizeRequest('o-9', { paymentMethodId: 'pm-expired' })));

    expect([err.code, err.reason]).toEqual([status.FAILED_PRECONDITION, 'CARD_DECLINED']);
  });
});
