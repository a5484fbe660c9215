import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizeRequest, failure, startHarness, type Harness } from '../support/downstream.js';

describe('GetLedger', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('pages through the ledger by after_seq and limit, saying when more is left', async () => {
    for (let i = 1; i <= 7; i++) await h.clients.payments.authorize(authorizeRequest(`o-${i}`));

    const seqs: number[][] = [];
    const mores: boolean[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await h.clients.admin.getLedger({ afterSeq, limit: 3 });
      seqs.push(page.entries.map((e) => e.seq));
      mores.push(page.more);
      if (!page.more) break;
      afterSeq = page.entries.at(-1)?.seq ?? afterSeq;
    }

    expect(seqs).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(mores).toEqual([true, true, false]);
  });

  it('counts a call as in flight from its arrival until it is answered', async () => {
    await h.clients.admin.setLatency({ rules: [{ target: 'payments.Authorize', fixedMs: 400 }] });
    const answered = h.clients.payments.authorize(authorizeRequest('o-slow'));
    let during: Record<string, number | string> = {};
    for (const deadline = Date.now() + 2_000; Date.now() < deadline && !during['payments.Authorize'];) {
      during = (await h.clients.admin.getLedger({ limit: 1 })).inFlight;
    }
    expect(Number(during['payments.Authorize'])).toBe(1);
    await answered;
    expect((await h.clients.admin.getLedger({ limit: 1 })).inFlight).toEqual({});
  });

  it('filters by order id', async () => {
    await h.clients.payments.authorize(authorizeRequest('o-a'));
    await h.clients.payments.authorize(authorizeRequest('o-b'));
    await h.clients.payments.void({ idempotencyKey: 'o-a:void', orderId: 'o-a', authorizeIdempotencyKey: 'o-a:authorize' });

    const page = await h.clients.admin.getLedger({ orderId: 'o-a' });
    expect(page.entries.map((e) => [e.orderId, e.operation])).toEqual([
      ['o-a', 'payments.Authorize'],
      ['o-a', 'payments.Void'],
    ]);
  });

  it('counts every call that reached an operation, including faulted, refused and replayed ones', async () => {
    await h.clients.admin.setFaults({ rules: [{ target: 'payments.Authorize', kind: 'UNAVAILABLE', firstCalls: 1 }] });
    await failure(h.clients.payments.authorize(authorizeRequest('o-1')));
    await h.clients.payments.authorize(authorizeRequest('o-1'));
    await h.clients.payments.authorize(authorizeRequest('o-1'));
    await failure(h.clients.payments.authorize(authorizeRequest('o-2', { idempotencyKey: '' })));

    const page = await h.clients.admin.getLedger({});
    expect(page.calls['payments.Authorize']).toBe(4);
    expect(page.entries).toHaveLength(1);
  });

  it('with an order id, counts only the calls that named that order', async () => {
    await h.clients.payments.authorize(authorizeRequest('o-a'));
    await h.clients.payments.authorize(authorizeRequest('o-a'));
    await h.clients.payments.authorize(authorizeRequest('o-b'));

    expect((await h.clients.admin.getLedger({ orderId: 'o-a' })).calls).toEqual({ 'payments.Authorize': 2 });
    expect((await h.clients.admin.getLedger({ orderId: 'o-c' })).calls).toEqual({});
    expect((await h.clients.admin.getLedger({})).calls).toEqual({ 'payments.Authorize': 3 });
  });

  it('Reset forgets entries, calls and keys', async () => {
    await h.clients.payments.authorize(authorizeRequest('o-1'));
    await h.clients.admin.reset({});
    const page = await h.clients.admin.getLedger({});
    const again = await h.clients.payments.authorize(authorizeRequest('o-1'));

    expect(page.entries).toEqual([]);
    expect(page.calls).toEqual({});
    expect((await h.ledger('o-1')).map((e) => e.refId)).toEqual([again.authorizationId]);
  });
});
