import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorizeRequest, failure, startHarness, type Harness } from '../support/downstream.js';

describe('idempotency by key', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('a replayed Authorize returns the first authorization and the ledger holds one entry with one replay', async () => {
    const first = await h.clients.payments.authorize(authorizeRequest('o-1'));
    const again = await h.clients.payments.authorize(authorizeRequest('o-1'));

    expect(again.authorizationId).toBe(first.authorizationId);
    const entries = await h.ledger('o-1');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ operation: 'payments.Authorize', refId: first.authorizationId, replays: 1 });
  });

  it('a replayed fatal outcome returns the same refusal even after the rule that caused it is gone', async () => {
    await h.clients.admin.setFaults({ rules: [{ target: 'payments.Authorize', kind: 'CARD_DECLINED', matchOrderId: 'o-2' }] });
    const first = await failure(h.clients.payments.authorize(authorizeRequest('o-2')));
    await h.clients.admin.setFaults({ rules: [] });
    const again = await failure(h.clients.payments.authorize(authorizeRequest('o-2')));

    expect([first.reason, again.reason]).toEqual(['CARD_DECLINED', 'CARD_DECLINED']);
    expect(again.code).toBe(status.FAILED_PRECONDITION);
    expect(await h.ledger('o-2')).toHaveLength(0);
  });

  it('a key reused by another order is refused as INVALID_ARGUMENT and applies nothing', async () => {
    await h.clients.payments.authorize(authorizeRequest('o-3', { idempotencyKey: 'shared-key' }));
    const err = await failure(h.clients.payments.authorize(authorizeRequest('o-4', { idempotencyKey: 'shared-key' })));

    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.fieldViolations[0]?.field).toBe('idempotency_key');
    expect(await h.ledger('o-4')).toHaveLength(0);
  });

  it('concurrent calls with one key apply once and all get the same result', async () => {
    await h.clients.admin.setLatency({ rules: [{ target: 'payments.Authorize', fixedMs: 30, jitterMs: 20 }] });
    const results = await Promise.all(Array.from({ length: 8 }, () => h.clients.payments.authorize(authorizeRequest('o-5'))));

    expect(new Set(results.map((r) => r.authorizationId)).size).toBe(1);
    const entries = await h.ledger('o-5');
    expect(entries).toHaveLength(1);
    expect(entries[0]?.replays).toBe(7);
  });
});
