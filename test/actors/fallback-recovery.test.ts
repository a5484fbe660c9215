import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../cluster/local/service-process.js';
import { startOrderHostWorld, type OrderHostWorld } from './fixtures/order-host-world.js';
import { checkLedger } from '../../cluster/local/downstream/ledger-invariants.js';
import { readFinalOrders } from '../../cluster/local/chaos/chaos-check.js';
import { journalOf } from '../../actors/order/journal-of.js';
import { applyOrderEvent, emptyOrderState } from '../../actors/order/order-state.js';

/** Long enough that a node killed right after choosing the phone channel dies while the call is in flight. */
const PHONE_MS = 1_500;

describe('a node killed with SIGKILL after taking fallbacks mid-order', () => {
  let world: OrderHostWorld;
  let ks: OrderHostWorld['ks'];
  let clients: OrderHostWorld['clients'];

  beforeAll(async () => {
    world = await startOrderHostWorld('fbcrash', [{ target: 'merchant.PhoneOrder', fixedMs: PHONE_MS }]);
    ({ ks, clients } = world);
  });
  afterAll(async () => { await world?.stop(); });

  const host = (mode: 'place' | 'recover', nodeId: string, orderIds: string[], fallbacks: 'on' | 'off') => world.host(mode, nodeId, orderIds, { FALLBACKS: fallbacks });

  it('replays the journaled fallbacks on recovery instead of deciding again, and opens one ticket per order', { timeout: 150_000 }, async () => {
    // Fraud and the merchant tablet stay down for both lives.
    await clients.admin.setFaults({ rules: [{ target: 'fraud.Assess', kind: 'UNAVAILABLE' }, { target: 'merchant.SendOrder', kind: 'UNAVAILABLE' }] });
    const ids = Array.from({ length: 10 }, () => `o-${randomUUID()}`);
    const phoned = new Set<string>();
    const completed = new Set<string>();
    const first = await host('place', 'first-life', ids, 'on');
    first.onLine((l: LogLine) => {
      if (l.msg !== 'event') return;
      if (l.type === 'FallbackTaken' && l.step === 'merchant') phoned.add(String(l.orderId));
      if (l.status === 'COMPLETED') completed.add(String(l.orderId));
    });
    await first.waitForLine((l) => l.msg === 'event' && l.type === 'FallbackTaken' && l.step === 'merchant', 30_000);
    const deadline = Date.now() + 10_000;
    while (phoned.size < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await first.kill();
    // Killed with phone calls in flight: their orders' journals end in FallbackTaken.
    expect(completed.size).toBeLessThan(ids.length);
    const assessCallsAtKill = (await clients.admin.getLedger({ orderId: '', limit: 1 })).calls['fraud.Assess'] ?? 0;

    // The second life may take no fallback itself, and the outage goes on.
    await host('recover', 'second-life', [], 'off');
    const journals = async () => Promise.all(ids.map((id) => journalOf(ks.client, ks.keyspace, id)));
    const statusOf = (rows: Awaited<ReturnType<typeof journalOf>>) => rows.map((r) => r.event).reduce(applyOrderEvent, emptyOrderState).status;
    let latest = await journals();
    const until = Date.now() + 60_000;
    while (latest.some((rows) => statusOf(rows) !== 'COMPLETED') && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      latest = await journals();
    }
    expect(latest.map(statusOf)).toEqual(ids.map(() => 'COMPLETED'));
    for (const rows of latest) {
      const taken = rows.filter((r) => r.type === 'FallbackTaken').map((r) => r.event.type === 'FallbackTaken' ? r.event.step : '');
      expect(taken).toEqual(['fraud', 'merchant']);
      // Each decision was written once, by the life that took it.
      expect(rows.filter((r) => r.type === 'FallbackTaken').map((r) => r.writer)).toEqual(['first-life', 'first-life']);
    }

    const ledger = await clients.admin.getLedger({ orderId: '', limit: 10_000 });
    expect(ledger.calls['fraud.Assess'] ?? 0).toBe(assessCallsAtKill);
    expect(checkLedger(ledger.entries, await readFinalOrders(ks.client, ks.keyspace, ids)).violations).toEqual([]);
    const tickets = ledger.entries.filter((e) => e.operation === 'merchant.SendOrder');
    expect(tickets).toHaveLength(ids.length);
    expect(tickets.every((t) => t.refId.endsWith('-by-phone'))).toBe(true);
  });
});
