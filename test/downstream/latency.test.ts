import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeRequest, failure, startHarness, type Harness } from '../support/downstream.js';

const timed = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

describe('injected latency', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('SetLatency delays the targeted operation and leaves the others alone', async () => {
    h = await startHarness();
    const harness = h;
    await harness.clients.catalog.getMerchant({ merchantId: 'm-1' });
    await harness.clients.admin.setLatency({ rules: [{ target: 'catalog.GetMenu', fixedMs: 250, jitterMs: 50 }] });

    const slow = await timed(() => harness.clients.catalog.getMenu({ merchantId: 'm-1' }));
    const fast = await timed(() => harness.clients.catalog.getMerchant({ merchantId: 'm-1' }));

    expect(slow).toBeGreaterThanOrEqual(245);
    // Relative, so a busy machine slowing both calls does not fail the test.
    expect(fast).toBeLessThan(slow - 100);
  });

  it('latency configured at start applies from the first call', async () => {
    h = await startHarness({ latency: [{ target: 'catalog.*', fixedMs: 200 }] });
    const harness = h;
    expect(await timed(() => harness.clients.catalog.getConsumer({ consumerId: 'c-1' }))).toBeGreaterThanOrEqual(195);
  });

  it('a call whose deadline passes during the injected latency is never applied', async () => {
    h = await startHarness({ latency: [{ target: 'payments.Authorize', fixedMs: 400 }] });
    const err = await failure(h.clients.payments.authorize(authorizeRequest('o-1'), { deadlineMs: 100 }));
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    const page = await h.clients.admin.getLedger({ orderId: 'o-1' });
    expect(page.entries).toEqual([]);
    expect(page.calls['payments.Authorize']).toBe(1);
  });
});
