import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSummary } from '../../src/dashboard/cluster-summary.js';
import type { OrderTimeline } from '../../src/dashboard/order-timeline.js';
import { createTokenService } from '../../src/edge/auth.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { unary } from '../support/checkout-cluster.js';
import { statusFromJournal } from '../../actors/order/journal-of.js';
import { placeRequest } from '../support/place-requests.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { coversOnce, dashboardOf, getJson, postJson, waitForDashboard } from './dashboard-http.js';

const PARTITIONS = 12;
const ORDERS = 6;

describe('the dashboard API on a 3-node process cluster', () => {
  let pc: ProcessCluster;
  let http: (i: number) => string;
  let operator: string;
  const orderIds: string[] = [];
  let settled: ClusterSummary;

  beforeAll(async () => {
    pc = await startProcessCluster({ nodes: 3, partitions: PARTITIONS, env: { KAFKA_SESSION_TIMEOUT_MS: '3000', KAFKA_HEARTBEAT_INTERVAL_MS: '300' } });
    http = (i) => pc.cluster.nodes[i]!.adminAddress!;
    operator = await pc.token('ops-reader', 'operator');
    const ids = pc.cluster.nodes.map((n) => n.id);
    await waitForDashboard(http(0), operator, (s) => coversOnce(s, ids, PARTITIONS), 30_000);
    // Placed through every node's edge, so the orders land on every node's shards.
    for (let i = 0; i < ORDERS; i++) {
      const client = await pc.client(pc.cluster.nodes[i % 3]!, 'c-dash');
      orderIds.push((await unary<object, PlaceOrderResponse__Output>(client.placeOrder.bind(client), placeRequest('c-dash'))).orderId);
    }
    for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 200))) {
      const statuses = await Promise.all(orderIds.map((id) => statusFromJournal(pc.db, pc.keyspace, id)));
      if (statuses.every((s) => s === 'COMPLETED')) break;
      if (Date.now() > deadline) throw new Error(`orders not completed: ${JSON.stringify(statuses)}`);
    }
    settled = await waitForDashboard(http(1), operator, (s) => s.orders.completed >= ORDERS, 10_000);
  }, 150_000);
  afterAll(async () => { await pc?.stop(); }, 60_000);

  it('shows 3 nodes whose shards cover every partition exactly once, from any node', async () => {
    for (const i of [0, 1, 2]) {
      const s = await dashboardOf(http(i), operator);
      expect(s.servedBy).toBe(pc.cluster.nodes[i]!.id);
      expect(s.nodes.map((n) => n.nodeId)).toEqual(['node-1', 'node-2', 'node-3']);
      expect(s.nodes.flatMap((n) => n.shards).sort((a, b) => a - b)).toEqual(Array.from({ length: PARTITIONS }, (_, k) => k));
      expect(s.pools).toEqual([{ pool: 'main', shardCount: PARTITIONS, unowned: [], doublyOwned: [] }]);
      expect(s.nodes.map((n) => n.adminAddress).sort()).toEqual(pc.cluster.nodes.map((n) => n.adminAddress).sort());
    }
  });

  it('counts the orders that were placed and completed, with their end-to-end time', () => {
    expect(settled.orders).toEqual({ placed: ORDERS, inFlight: 0, completed: ORDERS, failed: 0, cancelled: 0 });
    expect(settled.latency.samples).toBe(ORDERS);
    expect(settled.latency.p50Ms).toBeGreaterThan(0);
    expect(settled.latency.p99Ms).toBeGreaterThanOrEqual(settled.latency.p50Ms!);
    expect(settled.throughput.completedPerSec).toBeGreaterThan(0);
    expect(settled.compensations).toBe(0);
  });

  it('shows an order\'s timeline: every journal event with its step, attempt and writer node', async () => {
    const answer = await getJson(`http://${http(2)}/api/orders/${orderIds[0]}`, operator);
    expect(answer.status).toBe(200);
    const timeline = answer.body as OrderTimeline;
    expect(timeline.status).toBe('COMPLETED');
    expect(timeline.entries.map((e) => e.type)).toEqual(['OrderPlaced', ...Array(5).fill('StepSucceeded')]);
    expect(timeline.entries.filter((e) => e.step).map((e) => e.step)).toEqual(['fraud', 'authorize', 'delivery', 'merchant', 'capture']);
    expect(timeline.entries.every((e) => e.attempt === null || e.attempt >= 1)).toBe(true);
    const owner = timeline.entries[0]!.writer;
    expect(pc.cluster.nodes.map((n) => n.id)).toContain(owner);
    expect(timeline.entries.every((e) => e.writer === owner)).toBe(true);
    expect(timeline.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('answers 404 for an order with no journal and 400 for a malformed id', async () => {
    expect((await getJson(`http://${http(0)}/api/orders/o-nothing-here`, operator)).status).toBe(404);
    expect((await getJson(`http://${http(0)}/api/orders/${encodeURIComponent('bad id!')}`, operator)).status).toBe(400);
  });

  it('serves the page itself', async () => {
    const res = await fetch(`http://${http(0)}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('dashboard.js');
    expect((await fetch(`http://${http(0)}/dashboard.js`)).headers.get('content-type')).toContain('javascript');
  });

  it('refuses reads without a token (401) and with a consumer token (403), before looking anything up', async () => {
    const consumer = await pc.token('c-dash');
    for (const path of ['/api/dashboard', `/api/orders/${orderIds[0]}`, '/api/orders/o-nothing-here', '/api/fault-choices']) {
      expect((await getJson(`http://${http(0)}${path}`)).status, path).toBe(401);
      expect((await getJson(`http://${http(0)}${path}`, consumer)).status, path).toBe(403);
    }
  });

  it('refuses admin actions with an operator token (403)', async () => {
    expect(await postJson(`http://${http(0)}/api/admin/faults`, { rules: [] }, operator)).toMatchObject({ status: 403, body: { error: 'ADMIN_REQUIRED' } });
  });

  it('refuses admin actions without a token (401) and with a consumer token (403)', async () => {
    const consumer = await pc.token('c-dash');
    const faults = `http://${http(0)}/api/admin/faults`;
    const stop = `http://${http(0)}/api/admin/stop`;
    expect((await postJson(faults, { rules: [] })).status).toBe(401);
    expect((await postJson(faults, { rules: [] }, 'not-a-token')).status).toBe(401);
    expect(await postJson(faults, { rules: [] }, consumer)).toMatchObject({ status: 403, body: { error: 'ADMIN_REQUIRED' } });
    expect((await postJson(stop, {}, consumer)).status).toBe(403);
    expect((await postJson(`http://${http(0)}/api/admin/nodes/node-3/stop`, {}, consumer)).status).toBe(403);
    expect(pc.cluster.nodes.every((n) => n.process !== undefined)).toBe(true);
  });

  it('with an admin token injects downstream faults and clears them, and rejects a bad rule', async () => {
    const admin = await createTokenService({ secret: pc.cluster.config.AUTH_SECRET }).mint('ops', { role: 'admin' });
    const faults = `http://${http(0)}/api/admin/faults`;
    expect(await postJson(faults, { rules: [{ target: 'payments.Authorize', kind: 'UNAVAILABLE', firstCalls: 1 }] }, admin)).toEqual({ status: 200, body: { rules: 1 } });
    const client = await pc.client(pc.cluster.nodes[0]!, 'c-dash');
    const placed = await unary<object, PlaceOrderResponse__Output>(client.placeOrder.bind(client), placeRequest('c-dash'));
    const saved = await waitForDashboard(http(0), operator, (s) => s.retries.savedByRetry >= 1, 30_000);
    expect(saved.retries.failedAttempts).toBeGreaterThanOrEqual(1);
    const timeline = (await getJson(`http://${http(0)}/api/orders/${placed.orderId}`, operator)).body as OrderTimeline;
    expect(timeline.entries.find((e) => e.step === 'authorize')?.attempt).toBe(2);
    expect(await postJson(faults, { rules: [] }, admin)).toEqual({ status: 200, body: { rules: 0 } });
    expect((await postJson(faults, { rules: [{ target: 'payments.Authorise', kind: 'UNAVAILABLE' }] }, admin)).status).toBe(400);
  });

  it('with an admin token stops another node through any node\'s API; the node leaves and the others take its shards', async () => {
    const admin = await createTokenService({ secret: pc.cluster.config.AUTH_SECRET }).mint('ops', { role: 'admin' });
    const victim = pc.cluster.nodes[2]!;
    const exited = victim.process!.exited;
    expect(await postJson(`http://${http(0)}/api/admin/nodes/${victim.id}/stop`, {}, admin)).toEqual({ status: 202, body: { stopping: victim.id } });
    expect(await exited).toEqual({ code: 0, signal: null });
    const survivors = pc.cluster.nodes.filter((n) => n !== victim).map((n) => n.id).sort();
    const after = await waitForDashboard(http(0), operator, (s) => coversOnce(s, survivors, PARTITIONS), 20_000);
    expect(after.nodes.map((n) => n.nodeId)).toEqual(survivors);
  });
});
