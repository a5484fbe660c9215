import { describe, expect, it } from 'vitest';
import type { OrderView } from '../../src/domain/order-view.js';
import type { OrderStatus } from '../../src/domain/order.js';
import { createOrderLookup, refreshingFeed } from '../../src/status/order-lookup.js';
import { createStatusViewStore } from '../../src/status/status-view-store.js';

const TRUST_MS = 5_000;
const view = (status: OrderStatus, version: number, updatedAt: number): OrderView =>
  ({ orderId: 'o-1', consumerId: 'c-1', merchantId: 'm-1', status, placedAt: 1_000, updatedAt, version });

/** A node's view holding `held`, a journal holding `journal`, and a clock at `at`. */
function world(held: OrderView | undefined, journal: OrderView | undefined, at: number) {
  const store = createStatusViewStore();
  if (held) store.update(held);
  const clock = { at };
  const reads: string[] = [];
  const behind: Array<[number, number]> = [];
  let readFails = false;
  const lookup = createOrderLookup({
    feed: store, now: () => clock.at, trustMs: TRUST_MS,
    readOrder: async (id) => { reads.push(id); if (readFails) throw new Error('Cassandra unreachable'); return journal; },
    learn: (v) => { store.update(v); },
    onBehind: (h, j) => behind.push([Number(h.version), Number(j.version)]),
  });
  return { store, clock, reads, behind, lookup, failReads: () => { readFails = true; } };
}

describe('finding an order: the status view, checked against the journal when it may be behind', () => {
  it('answers an unfinished order from the view without a read while its last change is recent', async () => {
    const w = world(view('PAYMENT_AUTHORIZED', 3, 10_000), view('COMPLETED', 7, 10_500), 10_000 + TRUST_MS - 1);
    expect((await w.lookup.find('o-1'))?.version).toBe(3);
    expect(w.reads).toEqual([]);
  });

  it('answers the journal\'s newer view for an unfinished order whose view went quiet past the trust window', async () => {
    const w = world(view('PAYMENT_AUTHORIZED', 3, 10_000), view('COMPLETED', 7, 10_500), 10_000 + TRUST_MS);
    expect(await w.lookup.find('o-1')).toMatchObject({ status: 'COMPLETED', version: 7 });
    expect(w.behind).toEqual([[3, 7]]);
  });

  it('hands the journal\'s newer view to the node\'s view, so its watchers see it too', async () => {
    const w = world(view('PAYMENT_AUTHORIZED', 3, 10_000), view('COMPLETED', 7, 10_500), 10_000 + TRUST_MS);
    const seen: number[] = [];
    w.store.subscribe('o-1', (v) => seen.push(Number(v.version)));
    await w.lookup.find('o-1');
    expect(seen).toEqual([7]);
    expect(w.store.current('o-1')?.status).toBe('COMPLETED');
  });

  it('never reads a finished order: its view is final', async () => {
    const w = world(view('COMPLETED', 7, 10_000), view('COMPLETED', 7, 10_000), 10_000 + 10 * TRUST_MS);
    expect((await w.lookup.find('o-1'))?.status).toBe('COMPLETED');
    expect(w.reads).toEqual([]);
  });

  it('reads a quiet order at most once per trust window', async () => {
    const w = world(view('PAYMENT_AUTHORIZED', 3, 10_000), view('PAYMENT_AUTHORIZED', 3, 10_000), 10_000 + TRUST_MS);
    await w.lookup.find('o-1');
    w.clock.at += TRUST_MS - 1;
    await w.lookup.find('o-1');
    expect(w.reads).toHaveLength(1);
    w.clock.at += 1;
    await w.lookup.find('o-1');
    expect(w.reads).toHaveLength(2);
  });

  it('keeps the view when the journal is no newer (the order is just slow)', async () => {
    const w = world(view('PAYMENT_AUTHORIZED', 3, 10_000), view('PAYMENT_AUTHORIZED', 3, 10_000), 10_000 + TRUST_MS);
    expect((await w.lookup.find('o-1'))?.version).toBe(3);
    expect(w.behind).toEqual([]);
  });

  it('answers the view when the journal cannot be read', async () => {
    const w = world(view('PAYMENT_AUTHORIZED', 3, 10_000), view('COMPLETED', 7, 10_500), 10_000 + TRUST_MS);
    w.failReads();
    expect((await w.lookup.find('o-1'))?.version).toBe(3);
  });

  it('reads an order the view does not hold from the journal', async () => {
    const w = world(undefined, view('SENT_TO_MERCHANT', 5, 10_000), 10_000);
    expect((await w.lookup.find('o-1'))?.version).toBe(5);
    expect(w.reads).toEqual(['o-1']);
  });
});

describe('the feed a push channel sees: views at once, stale ones checked in the background', () => {
  it('answers the held view at once and brings the journal\'s newer one to subscribers', async () => {
    const w = world(view('PAYMENT_AUTHORIZED', 3, 10_000), view('COMPLETED', 7, 10_500), 10_000 + TRUST_MS);
    const feed = refreshingFeed(w.store, w.lookup);
    const seen: number[] = [];
    feed.subscribe('o-1', (v) => seen.push(Number(v.version)));
    expect(feed.current('o-1')?.version).toBe(3);
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual([7]);
  });

  it('reads nothing for a finished order', async () => {
    const w = world(view('COMPLETED', 7, 10_000), view('COMPLETED', 7, 10_000), 10_000 + 10 * TRUST_MS);
    refreshingFeed(w.store, w.lookup).current('o-1');
    await new Promise((r) => setTimeout(r, 0));
    expect(w.reads).toEqual([]);
  });
});
