import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizeRequest, createDeliveryRequest, failure, sendOrderRequest, startHarness, type Harness } from '../support/downstream.js';

describe('fault injection', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  const amount = { currency: 'USD', minor: 2500 };

  describe('the built-in rules refuse with FAILED_PRECONDITION and an ErrorInfo reason in the trailer', () => {
    it('a card ending 0002 is declined at Authorize', async () => {
      const err = await failure(h.clients.payments.authorize(authorizeRequest('o-1', { paymentMethodId: 'pm-0002' })));
      expect([err.code, err.reason]).toEqual([status.FAILED_PRECONDITION, 'CARD_DECLINED']);
    });

    it('consumer c-fraud is rejected at fraud Assess', async () => {
      const err = await failure(h.clients.fraud.assess({ idempotencyKey: 'o-2:fraud', orderId: 'o-2', consumerId: 'c-fraud', amount }));
      expect([err.code, err.reason]).toEqual([status.FAILED_PRECONDITION, 'FRAUD_REJECTED']);
    });

    it('postal code 00000 finds no courier at CreateDelivery', async () => {
      const err = await failure(h.clients.logistics.createDelivery(createDeliveryRequest('o-3', { postalCode: '00000' })));
      expect([err.code, err.reason]).toEqual([status.FAILED_PRECONDITION, 'NO_COURIER']);
    });

    it('merchant m-rejects rejects the ticket at SendOrder', async () => {
      const err = await failure(h.clients.merchant.sendOrder(sendOrderRequest('o-4', { merchantId: 'm-rejects' })));
      expect([err.code, err.reason]).toEqual([status.FAILED_PRECONDITION, 'MERCHANT_REJECTED']);
    });
  });

  it('a Reset that clears the built-in rules lets a card ending 0002 through', async () => {
    await h.clients.admin.reset({ clearDefaultFaults: true });
    const ok = await h.clients.payments.authorize(authorizeRequest('o-5', { paymentMethodId: 'pm-0002' }));
    expect(ok.authorizationId).not.toBe('');
  });

  it('first_calls = 3 fails exactly the first three calls of a key, then the fourth applies once', async () => {
    await h.clients.admin.setFaults({ rules: [{ target: 'payments.Capture', kind: 'UNAVAILABLE', firstCalls: 3 }] });
    const { authorizationId } = await h.clients.payments.authorize(authorizeRequest('o-6'));
    const capture = () => h.clients.payments.capture({ idempotencyKey: 'o-6:capture', orderId: 'o-6', authorizationId });

    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await failure(capture())).code);
    const fourth = await capture();

    expect(codes).toEqual([status.UNAVAILABLE, status.UNAVAILABLE, status.UNAVAILABLE]);
    expect(fourth.captureId).not.toBe('');
    expect((await h.ledger('o-6')).filter((e) => e.operation === 'payments.Capture')).toHaveLength(1);
  });

  it('first_calls counts per key: another key fails its own first calls', async () => {
    await h.clients.admin.setFaults({ rules: [{ target: 'fraud.Assess', kind: 'RESOURCE_EXHAUSTED', firstCalls: 1 }] });
    const a = await failure(h.clients.fraud.assess({ idempotencyKey: 'o-7:fraud', orderId: 'o-7', consumerId: 'c-1', amount }));
    const b = await failure(h.clients.fraud.assess({ idempotencyKey: 'o-8:fraud', orderId: 'o-8', consumerId: 'c-1', amount }));
    expect([a.code, b.code]).toEqual([status.RESOURCE_EXHAUSTED, status.RESOURCE_EXHAUSTED]);
  });

  it('a transient fault applies nothing', async () => {
    await h.clients.admin.setFaults({ rules: [{ target: 'logistics.*', kind: 'DEADLINE_EXCEEDED' }] });
    const err = await failure(h.clients.logistics.createDelivery(createDeliveryRequest('o-9')));

    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(err.reason).toBe('DEADLINE_EXCEEDED');
    expect(await h.ledger('o-9')).toEqual([]);
  });

  it('apply_then_fail applies the operation, answers with the transient error, and the retry gets the first result', async () => {
    await h.clients.admin.setFaults({ rules: [{ target: 'merchant.SendOrder', kind: 'DEADLINE_EXCEEDED', firstCalls: 1, applyThenFail: true }] });
    const err = await failure(h.clients.merchant.sendOrder(sendOrderRequest('o-10')));
    const entriesAfterFailure = await h.ledger('o-10');
    const retry = await h.clients.merchant.sendOrder(sendOrderRequest('o-10'));

    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(entriesAfterFailure.map((e) => e.refId)).toEqual([retry.ticketId]);
  });

  it('a rate of 0.5 fails roughly half of the calls', async () => {
    await h.clients.admin.setFaults({ rules: [{ target: 'catalog.GetMerchant', kind: 'UNAVAILABLE', rate: 0.5 }], seed: 7 });
    // Only calls the server answered count: one that ran out of time on a busy machine says nothing about the rule.
    const outcomes = await Promise.all(Array.from({ length: 400 }, () => h.clients.catalog.getMerchant({ merchantId: 'm-1' })
      .then(() => 'ok' as const, (e: { code?: number }) => (e.code === status.UNAVAILABLE ? 'failed' as const : 'no answer' as const))));
    const answered = outcomes.filter((o) => o !== 'no answer').length;
    const failed = outcomes.filter((o) => o === 'failed').length;
    expect(answered).toBeGreaterThanOrEqual(200);
    expect(failed / answered).toBeGreaterThan(0.375);
    expect(failed / answered).toBeLessThan(0.625);
  });

  it('the same seed fails the same calls', async () => {
    const run = async (): Promise<string> => {
      await h.clients.admin.setFaults({ rules: [{ target: 'catalog.GetConsumer', kind: 'UNAVAILABLE', rate: 0.5 }], seed: 99 });
      let pattern = '';
      for (let i = 0; i < 40; i++) pattern += await h.clients.catalog.getConsumer({ consumerId: 'c-1' }).then(() => '.', () => 'x');
      return pattern;
    };
    const first = await run();
    expect(await run()).toBe(first);
    expect(first).toMatch(/x/);
    expect(first).toMatch(/\./);
  });

  it('match conditions narrow a rule to the calls they describe', async () => {
    await h.clients.admin.setFaults({ rules: [{ target: '*', kind: 'UNAVAILABLE', matchMerchantId: 'm-2' }] });
    await h.clients.merchant.sendOrder(sendOrderRequest('o-11', { merchantId: 'm-1' }));
    const err = await failure(h.clients.merchant.sendOrder(sendOrderRequest('o-12', { merchantId: 'm-2', lines: [{ itemId: 'm-2-item-1', quantity: 1 }] })));
    expect(err.code).toBe(status.UNAVAILABLE);
  });

  it('a business refusal never hits a compensation, even under a "*" rule', async () => {
    const { deliveryId } = await h.clients.logistics.createDelivery(createDeliveryRequest('o-13'));
    await h.clients.admin.setFaults({ rules: [{ target: '*', kind: 'NO_COURIER' }] });
    const cancelled = await h.clients.logistics.cancelDelivery({ idempotencyKey: 'o-13:cancel', orderId: 'o-13', deliveryId });
    expect(cancelled.outcome).toBe('COMPENSATED');
  });

  it('a rule with an unknown target is refused as INVALID_ARGUMENT naming the field', async () => {
    const err = await failure(h.clients.admin.setFaults({ rules: [{ target: 'payments.Authorise', kind: 'UNAVAILABLE' }] }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations[0]?.field).toBe('target');
  });
});
