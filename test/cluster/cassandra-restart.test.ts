import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminal } from '../../src/domain/order.js';
import { checkLedger } from '../../cluster/local/downstream/ledger-invariants.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { richStatus, unary } from '../support/checkout-cluster.js';
import { readFinalOrders } from '../../cluster/local/chaos/chaos-check.js';
import type { FinalOrder } from '../../cluster/local/downstream/ledger-invariants.js';
import { placeRequest } from '../support/place-requests.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { untilNoCallInFlight } from '../support/downstream.js';
import { pollUntil } from '../support/poll.js';

describe('Cassandra killed and restarted mid-run', () => {
  let pc: ProcessCluster;
  beforeAll(async () => {
    pc = await startProcessCluster({ nodes: 2, ownCassandra: true, downstreamLatency: [{ target: '*', fixedMs: 30 }] });
  }, 120_000);
  afterAll(async () => { await pc?.stop(); }, 60_000);

  it('nodes ride through: callers get UNAVAILABLE with RetryInfo meanwhile, and no accepted order is lost', { timeout: 180_000 }, async () => {
    const clients = await Promise.all(pc.cluster.nodes.map((n) => pc.client(n, 'c-outage')));
    const accepted = new Set<string>();
    const codes = new Map<number, number>();
    let retryInfoSeen = 0;
    let running = true;
    const load = (async () => {
      for (let i = 0; running; i++) {
        const client = clients[i % clients.length]!;
        const req = placeRequest('c-outage');
        // A client that honours RetryInfo: the same key again, after the delay the server asked for.
        for (let attempt = 0; attempt < 30 && running; attempt++) {
          try {
            accepted.add((await unary<object, PlaceOrderResponse__Output>(client.placeOrder.bind(client), req)).orderId);
            break;
          } catch (err) {
            const status = richStatus(err);
            codes.set(status.code, (codes.get(status.code) ?? 0) + 1);
            if (status.retryInfo) retryInfoSeen += 1;
            await new Promise((r) => setTimeout(r, 500));
          }
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const unavailable = () => codes.get(grpc.status.UNAVAILABLE) ?? 0;
    let before = 0;
    try {
      await pollUntil('orders accepted before the kill', async () => accepted.size, (n) => n > 5, { timeoutMs: 30_000 });
      before = accepted.size;
      await pc.cluster.infra.killCassandra();
      // The outage lasts until callers have been told to retry later, and at least 6 s.
      const killedAt = Date.now();
      await pollUntil('callers told UNAVAILABLE with RetryInfo', async () => ({ unavailable: unavailable(), retryInfoSeen }), (s) => s.unavailable > 0 && s.retryInfoSeen > 0, { timeoutMs: 30_000 });
      await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 6_000 - Date.now())));
      await pc.cluster.infra.restartCassandra();
      const atRestart = accepted.size;
      await pollUntil('orders accepted again after the restart', async () => accepted.size, (n) => n >= atRestart + 5, { timeoutMs: 60_000 });
    } finally {
      running = false;
      await load;
    }

    expect(before).toBeGreaterThan(5);
    expect(accepted.size).toBeGreaterThan(before);
    expect(unavailable()).toBeGreaterThan(0);
    expect(retryInfoSeen).toBeGreaterThan(0);
    expect(codes.get(grpc.status.INTERNAL) ?? 0).toBe(0);

    let pending = [...accepted];
    const deadline = Date.now() + 90_000;
    const finals = new Map<string, FinalOrder>();
    while (pending.length > 0 && Date.now() < deadline) {
      for (const [id, final] of await readFinalOrders(pc.db, pc.keyspace, pending)) if (isTerminal(final.status)) finals.set(id, final);
      pending = pending.filter((id) => !finals.has(id));
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`[figures] cassandra outage: ${accepted.size} accepted (${before} before the kill), errors by code ${JSON.stringify(Object.fromEntries(codes))}, unfinished ${pending.length}`);
    expect(pending).toEqual([]);
    await untilNoCallInFlight(pc.downstream.admin);
    const ledger = (await pc.downstream.admin.getLedger({ orderId: '', limit: 10_000 })).entries;
    expect(checkLedger(ledger, finals).violations).toEqual([]);
  });
});
