import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterNode } from '../../cluster/local/local-cluster.js';
import type { Order__Output } from '../../src/generated/checkout/v1/Order.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { unary } from '../support/checkout-cluster.js';
import { placeRequest } from '../support/place-requests.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { scrape, select, total, type Sample } from '../support/prom-text.js';
import { DEFAULT_JOURNAL_MODE } from '../../src/config/config.js';

const ORDERS = 6;
const PARTITIONS = 6;
const STEPS = ['fraud', 'authorize', 'delivery', 'merchant', 'capture'];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = await read();
  while (!ok(last) && Date.now() < end) { await sleep(250); last = await read(); }
  return last;
}

describe('every node\'s /metrics on a two-node process cluster', () => {
  let pc: ProcessCluster;
  let nodes: ClusterNode[];
  const scrapeAll = async (): Promise<Sample[]> => (await Promise.all(nodes.map((n) => scrape(n.adminAddress!)))).flat();

  beforeAll(async () => {
    pc = await startProcessCluster({ nodes: 2, partitions: PARTITIONS });
    nodes = pc.cluster.nodes;
    const client = await pc.client(nodes[0]!, 'c-metrics');
    const placed = await Promise.all(Array.from({ length: ORDERS }, () =>
      unary<ReturnType<typeof placeRequest>, PlaceOrderResponse__Output>(client.placeOrder.bind(client), placeRequest('c-metrics'))));
    for (const p of placed) {
      await eventually(() => unary<{ orderId: string }, Order__Output>(client.getOrder.bind(client), { orderId: p.orderId }), (o) => o.status === 'COMPLETED');
    }
  });
  afterAll(async () => { await pc?.stop(); });

  it('the terminal counter summed over the nodes equals the orders placed, all COMPLETED', async () => {
    const samples = await scrapeAll();
    expect(total(samples, 'checkout_orders_terminal_total')).toBe(ORDERS);
    expect(total(samples, 'checkout_orders_terminal_total', { status: 'COMPLETED' })).toBe(ORDERS);
  });

  it('shard ownership across the nodes covers every shard exactly once', async () => {
    const owners = await eventually(async () => {
      const samples = await scrapeAll();
      return Array.from({ length: PARTITIONS }, (_, shard) => total(samples, 'checkout_shard_owned', { shard: String(shard) }));
    }, (counts) => counts.every((c) => c === 1));
    expect(owners).toEqual(Array(PARTITIONS).fill(1));
  });

  it('the step latency histogram counts one successful run of each step per order', async () => {
    const samples = await scrapeAll();
    for (const step of STEPS) expect(total(samples, 'checkout_step_duration_seconds_count', { step, kind: 'run', outcome: 'ok' }), step).toBe(ORDERS);
    expect(total(samples, 'checkout_step_duration_seconds_sum')).toBeGreaterThan(0);
  });

  it('the live-orders gauge shows the finished orders lingering in memory as COMPLETED', async () => {
    const samples = await scrapeAll();
    expect(total(samples, 'checkout_live_orders', { status: 'COMPLETED' })).toBe(ORDERS);
  });

  // The nodes run the configured journal mode (JOURNAL_MODE, else the default).
  const journalMode = process.env.JOURNAL_MODE ?? DEFAULT_JOURNAL_MODE;
  it.runIf(journalMode === 'lwt')('the lwt journal took six conditional appends per order (no snapshot, no fencing on the happy path)', async () => {
    const samples = await scrapeAll();
    expect(total(samples, 'checkout_storage_ops_total', { op: 'lwt', table: 'journal' })).toBe(6 * ORDERS);
  });

  it.runIf(journalMode === 'fenced')('the fenced journal took one conditional append, five plain ones and a fence read each per order', async () => {
    const samples = await scrapeAll();
    const ops = (op: string) => total(samples, 'checkout_storage_ops_total', { op, table: 'fenced_journal' });
    expect({ lwt: ops('lwt'), write: ops('write') }).toEqual({ lwt: ORDERS, write: 5 * ORDERS });
    expect(ops('read')).toBeGreaterThanOrEqual(5 * ORDERS); // GetOrder's journal reads count here too
  });

  it('ops per order on each node is that node\'s operations over the orders it finished', async () => {
    const samples = await scrapeAll();
    for (const node of nodes) {
      const finished = total(samples, 'checkout_orders_terminal_total', { node: node.id });
      const lwt = total(samples, 'checkout_storage_ops_total', { node: node.id, op: 'lwt' });
      expect(total(samples, 'checkout_storage_ops_per_order', { node: node.id, op: 'lwt' }), node.id).toBeCloseTo(finished > 0 ? lwt / finished : 0, 6);
    }
  });

  it('every node counted at least one rebalance', async () => {
    const samples = await scrapeAll();
    for (const node of nodes) expect(total(samples, 'checkout_rebalances_total', { node: node.id }), node.id).toBeGreaterThanOrEqual(1);
  });

  it('consumer lag is reported for every owned partition and is zero once the commands are handled', async () => {
    const lag = await eventually(scrapeAll, (s) => select(s, 'checkout_kafka_consumer_lag').length === PARTITIONS);
    const series = select(lag, 'checkout_kafka_consumer_lag');
    expect(series.map((s) => Number(s.labels.partition)).sort((a, b) => a - b)).toEqual([...Array(PARTITIONS).keys()]);
    expect(series.map((s) => s.value)).toEqual(Array(PARTITIONS).fill(0));
  });
});
