import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { unary } from '../support/checkout-cluster.js';
import { journalOf, statusFromJournal } from '../../actors/order/journal-of.js';
import { placeRequest } from '../support/place-requests.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';

describe('a node stopped with SIGTERM', () => {
  let pc: ProcessCluster;
  beforeAll(async () => {
    pc = await startProcessCluster({ nodes: 2, env: { KAFKA_SESSION_TIMEOUT_MS: '3000', KAFKA_HEARTBEAT_INTERVAL_MS: '300' }, downstreamLatency: [{ target: '*', fixedMs: 150 }] });
  }, 120_000);
  afterAll(async () => { await pc?.stop(); }, 60_000);

  it('hands its shards over with no order stalled', { timeout: 120_000 }, async () => {
    const [leaving, staying] = pc.cluster.nodes;
    const client = await pc.client(staying!, 'c-graceful');
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) ids.push((await unary<object, PlaceOrderResponse__Output>(client.placeOrder.bind(client), placeRequest('c-graceful'))).orderId);
    const took = staying!.process!.waitForLine((l) => l.msg === 'shard ownership changed' && Array.isArray(l.owned) && l.owned.length === 12, 30_000);
    const t0 = Date.now();
    await pc.cluster.stopNode(leaving!);
    const stoppedMs = Date.now() - t0;
    await took;
    const handedOverMs = Date.now() - t0;
    const statusOf = (id: string) => statusFromJournal(pc.db, pc.keyspace, id);
    let pending = ids;
    const deadline = Date.now() + 60_000;
    while (pending.length && Date.now() < deadline) {
      const s = await Promise.all(pending.map(statusOf));
      pending = pending.filter((_, i) => s[i] !== 'COMPLETED');
      if (pending.length) await new Promise((r) => setTimeout(r, 300));
    }
    console.log(`[figures] graceful stop took ${stoppedMs} ms; all shards on the other node ${handedOverMs} ms after SIGTERM; every order completed ${Date.now() - t0} ms after it`);
    expect(pending).toEqual([]);
    const writers = new Set((await Promise.all(ids.map((id) => journalOf(pc.db, pc.keyspace, id)))).flat().map((r) => r.writer));
    expect(writers).toEqual(new Set([leaving!.id, staying!.id]));
  });
});
