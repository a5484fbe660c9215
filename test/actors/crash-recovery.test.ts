import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../cluster/local/service-process.js';
import { startOrderHostWorld, type OrderHostWorld } from './fixtures/order-host-world.js';
import { checkLedger } from '../../cluster/local/downstream/ledger-invariants.js';
import { readFinalOrders } from '../../cluster/local/chaos/chaos-check.js';
import { statusFromJournal } from '../../actors/order/journal-of.js';

const STEP_MS = 120;

describe('a node killed with SIGKILL mid-order', () => {
  let world: OrderHostWorld;
  let ks: OrderHostWorld['ks'];
  let clients: OrderHostWorld['clients'];

  beforeAll(async () => {
    world = await startOrderHostWorld('crash', [{ target: '*', fixedMs: STEP_MS, jitterMs: 40 }]);
    ({ ks, clients } = world);
  });
  afterAll(async () => { await world?.stop(); });

  const host = (mode: 'place' | 'recover', nodeId: string, orderIds: string[]) => world.host(mode, nodeId, orderIds);

  it('resumes every order from its last persisted step after a restart, applying no side effect twice', { timeout: 150_000 }, async () => {
    const ids = Array.from({ length: 30 }, () => `o-${randomUUID()}`);
    const lastStatus = new Map<string, string>();
    const first = await host('place', 'first-life', ids);
    first.onLine((l: LogLine) => { if (l.msg === 'event') lastStatus.set(String(l.orderId), String(l.status)); });
    // Kill once orders are spread over the steps: some just placed, some deep in the flow.
    await first.waitForLine((l) => l.msg === 'placed', 30_000);
    await new Promise((r) => setTimeout(r, STEP_MS * 2));
    await first.kill();
    const statusesAtKill = new Set(lastStatus.values());
    expect(statusesAtKill.size, `statuses at kill: ${[...statusesAtKill].join(',')}`).toBeGreaterThanOrEqual(4);
    expect([...lastStatus.values()].filter((s) => s === 'COMPLETED').length).toBeLessThan(ids.length);

    await host('recover', 'second-life', []);
    // The journal, not the killed process's last words, says where each order stands.
    const statusOf = (id: string) => statusFromJournal(ks.client, ks.keyspace, id);
    let pending = ids;
    const deadline = Date.now() + 60_000;
    while (pending.length > 0 && Date.now() < deadline) {
      const statuses = await Promise.all(pending.map(statusOf));
      pending = pending.filter((_, i) => statuses[i] !== 'COMPLETED');
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(pending.map((id) => `${id} was ${lastStatus.get(id) ?? 'unseen'}`)).toEqual([]);

    const ledger = (await clients.admin.getLedger({ orderId: '', limit: 10_000 })).entries;
    const check = checkLedger(ledger, await readFinalOrders(ks.client, ks.keyspace, ids));
    expect(check.violations).toEqual([]);
    const captures = ledger.filter((e) => e.operation === 'payments.Capture');
    expect(new Set(captures.map((e) => e.orderId)).size).toBe(ids.length);
    expect(captures).toHaveLength(ids.length);
  });
});
