/**
 * `npm run bench:db`: Cassandra operations per order, counted by the nodes themselves
 * (`checkout_storage_ops_total` on every node's /metrics, the edge's idempotency keys included),
 * on a 3-node cluster: the happy path, and the same orders with two transient failures each
 * (the first call of payments.Authorize and of logistics.CreateDelivery fails, so every order is
 * saved by a retry). Against the legacy mode in the same run: the seed monolith's way, the same
 * pricing calls and the same five steps one after another with a read and a write of the order
 * row around each (cluster/bench/legacy/), counted by the same counters.
 *
 *   --orders 200   orders per scenario (BENCH_ORDERS)
 *   --rate 20      orders/s offered (BENCH_RATE); group commit batches more the more arrives at once
 *   JOURNAL_MODE=fenced|lwt|group   the nodes' journal (default fenced), for A/B runs
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { checkoutFlow } from '../../actors/order/checkout-flow.js';
import { grpcCheckoutSteps } from '../../src/clients/grpc-checkout-steps.js';
import { createDownstreamClients } from '../../src/clients/downstream-clients.js';
import { applyLegacySchema, createLegacyOrderStore } from './legacy/legacy-order-store.js';
import { createLegacyPricer } from './legacy/legacy-pricer.js';
import { readModifyWriteEachStep } from './legacy/legacy-steps.js';
import { createOrderPricer } from '../../src/pricing/price-order.js';
import { tallyCounters } from '../../src/storage/storage-counters.js';
import { runOpenLoop } from '../../src/load/open-loop.js';
import { startBenchCluster, type BenchCluster } from './bench-cluster.js';
import { table } from '../../src/load/stats.js';

type Ops = Record<string, number>; // "lwt journal" → count

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { orders: { type: 'string' }, rate: { type: 'string' } } });
  const orders = Number(values.orders ?? process.env.BENCH_ORDERS ?? 200);
  const rate = Number(values.rate ?? process.env.BENCH_RATE ?? 20);
  if (!(orders > 0)) throw new Error('--orders must be a positive number');
  if (!(rate > 0)) throw new Error('--rate must be a positive number');
  const bench = await startBenchCluster({ name: 'bench-db', latency: [] });
  const admin = createDownstreamClients(bench.cluster.downstreamAddress, { adminSecret: bench.cluster.downstreamAdminSecret });
  const rows: Array<{ scenario: string; ops: Ops; n: number }> = [];
  try {
    await runScenario(bench, 20, 20, 'warm-up');
    process.stdout.write(`offering ${orders} orders at ${rate}/s per scenario\n`);
    rows.push({ scenario: 'happy path', ...(await runScenario(bench, orders, rate, 'happy')) });
    await admin.admin.setFaults({ rules: [
      { target: 'payments.Authorize', kind: 'UNAVAILABLE', firstCalls: 1 },
      { target: 'logistics.CreateDelivery', kind: 'UNAVAILABLE', firstCalls: 1 },
    ] });
    rows.push({ scenario: '2 retried calls per order', ...(await runScenario(bench, orders, rate, 'retries')) });
    await admin.admin.setFaults({ rules: [] });
    rows.push({ scenario: 'legacy: read+write per step', ops: await runLegacy(bench, orders), n: orders });
  } finally {
    admin.close();
    await bench.stop();
  }
  const kinds = [...new Set(rows.flatMap((r) => Object.keys(r.ops)))].sort();
  const per = (r: (typeof rows)[number], pred: (k: string) => boolean) => Object.entries(r.ops).filter(([k]) => pred(k)).reduce((s, [, v]) => s + v, 0) / r.n;
  const summary = rows.map((r) => ({
    scenario: r.scenario, orders: r.n,
    reads: per(r, (k) => k.startsWith('read')).toFixed(2),
    writes: per(r, (k) => !k.startsWith('read')).toFixed(2),
    'of which LWT': per(r, (k) => k.startsWith('lwt')).toFixed(2),
    ...Object.fromEntries(kinds.map((k) => [k, ((r.ops[k] ?? 0) / r.n).toFixed(2)])),
  }));
  process.stdout.write(`\nCassandra operations per order (3 nodes, ${rate}/s, journal ${process.env.JOURNAL_MODE ?? 'fenced'}, counted by the nodes' checkout_storage_ops_total)\n${table(summary)}\n`);
  const [happy, , legacy] = summary;
  const change = (ours: string, theirs: string) => `${((Number(ours) / Number(theirs) - 1) * 100).toFixed(0)} %`;
  process.stdout.write(`vs legacy: reads ${change(happy!.reads, legacy!.reads)}, writes ${change(happy!.writes, legacy!.writes)}\n`);
  process.stdout.write(`${JSON.stringify({ bench: 'db', orders, rate, journal: process.env.JOURNAL_MODE ?? 'fenced', perOrder: summary })}\n`);
}

/**
 * Places `n` orders at `rate`/s, waits until every accepted one is terminal, returns the nodes' op
 * counts meanwhile and how many were accepted (the figures are per accepted order; past the
 * edge's capacity some PlaceOrder calls time out, and their key reservations are counted too).
 */
async function runScenario(bench: BenchCluster, n: number, rate: number, label: string): Promise<{ ops: Ops; n: number }> {
  const before = await scrapeOps(bench);
  const report = await runOpenLoop({ ratePerSec: rate, durationMs: (n / rate) * 1000, clock: Date.now, fire: (i) => bench.place(i) });
  const ids = report.results.filter((r) => r.ok).map((r) => r.value!);
  if (ids.length < n * 0.5) throw new Error(`${label}: ${n - ids.length} of ${n} PlaceOrder calls failed`);
  if (ids.length < n) process.stdout.write(`${label}: ${n - ids.length} of ${n} PlaceOrder calls failed (figures per accepted order)\n`);
  const open = await bench.waitTerminal(ids, 60_000);
  if (open.length) throw new Error(`${label}: ${open.length} orders never finished`);
  await new Promise((r) => setTimeout(r, 2_000)); // the shard index delete follows the last event
  return { ops: diff(before, await scrapeOps(bench)), n: ids.length };
}

async function runLegacy(bench: BenchCluster, n: number): Promise<Ops> {
  const counters = tallyCounters();
  const clients = createDownstreamClients(bench.cluster.downstreamAddress);
  try {
    await applyLegacySchema(bench.db, bench.cluster.config.CASSANDRA_KEYSPACE);
    const store = createLegacyOrderStore({ client: bench.db, keyspace: bench.cluster.config.CASSANDRA_KEYSPACE, counters });
    const pricer = createLegacyPricer({ clients, deadlineMs: 2_000, clock: Date.now, store });
    const steps = grpcCheckoutSteps(clients, 2_000);
    for (let i = 0; i < n; i++) {
      const orderId = `o-legacy-${randomUUID()}`;
      const { order } = await pricer.price({
        idempotencyKey: `k-${randomUUID()}`, consumerId: 'c-bench-1', merchantId: 'm-1', paymentMethodId: 'pm-4242', tipMinor: 0,
        lines: [{ itemId: 'm-1-item-1', quantity: 2, note: '' }, { itemId: 'm-1-item-2', quantity: 1, note: '' }],
        address: { line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: 40.72, lng: -74.0 },
      }, orderId);
      const around = readModifyWriteEachStep(store, orderId, Date.now);
      for (const step of checkoutFlow) await around(step.name, () => step.run(steps, order));
    }
    const t = counters.totals();
    return { 'read legacy_orders': t.read, 'write legacy_orders': t.write };
  } finally {
    clients.close();
  }
}

async function scrapeOps(bench: BenchCluster): Promise<Ops> {
  const ops: Ops = {};
  for (const node of bench.cluster.nodes) {
    const text = await (await fetch(`http://${node.adminAddress}/metrics`)).text();
    for (const m of text.matchAll(/^checkout_storage_ops_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm)) {
      const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
      const key = `${labels.op} ${labels.table}`;
      ops[key] = (ops[key] ?? 0) + Number(m[2]);
    }
  }
  return ops;
}

const diff = (a: Ops, b: Ops): Ops => Object.fromEntries(Object.keys(b).map((k) => [k, b[k]! - (a[k] ?? 0)]).filter(([, v]) => v !== 0));

main().catch((err: unknown) => { process.stderr.write(`bench:db failed: ${(err as Error).stack}\n`); process.exit(1); });
