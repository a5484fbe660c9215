/**
 * `npm run bench:fetch`: the pricing fetch as a dependency graph vs the same calls one after
 * another, and vs the legacy monolith's way (sequential, reading and writing the order row at
 * every step), on the same simulated latencies, in one run. Cassandra is durable
 * (`commitlog_sync: batch`) for the legacy row.
 */
import { newAdminSecret } from '../local/downstream/admin-service.js';
import { randomUUID } from 'node:crypto';
import { createDownstreamClients } from '../../src/clients/downstream-clients.js';
import { startDownstreamServer } from '../local/downstream/downstream-server.js';
import type { PlaceOrderInput } from '../../src/domain/place-order.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { criticalPath, elapsed } from '../../src/pricing/critical-path.js';
import { applyLegacySchema, createLegacyOrderStore } from './legacy/legacy-order-store.js';
import { createLegacyPricer } from './legacy/legacy-pricer.js';
import { createOrderPricer } from '../../src/pricing/price-order.js';
import { connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';
import { tallyCounters } from '../../src/storage/storage-counters.js';
import { startLocalInfra } from '../local/local-infra.js';
import { summarize, table } from '../../src/load/stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const LATENCY = [
  { target: 'catalog.GetMerchant', fixedMs: 60 }, { target: 'catalog.GetMenu', fixedMs: 80 },
  { target: 'catalog.GetConsumer', fixedMs: 40 }, { target: 'catalog.GetPaymentMethod', fixedMs: 50 },
  { target: 'logistics.QuoteDelivery', fixedMs: 70 },
];
const SUM_MS = LATENCY.reduce((s, l) => s + l.fixedMs, 0);

const input = (): PlaceOrderInput => ({
  idempotencyKey: `k-${randomUUID()}`, consumerId: 'c-bench', merchantId: 'm-1', paymentMethodId: 'pm-4242', tipMinor: 0,
  lines: [{ itemId: 'm-1-item-1', quantity: 2, note: '' }, { itemId: 'm-1-item-3', quantity: 1, note: '' }],
  address: { line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: 40.72, lng: -74.0 },
});

async function main(): Promise<void> {
  const infra = await startLocalInfra({ keyspace: 'bench_fetch', topics: [], logger: createLogger({ level: 'warn' }), skipKafka: true });
  const db = createCassandraClient({ contactPoints: infra.cassandraContactPoints, localDataCenter: infra.cassandraLocalDc });
  const downstream = await startDownstreamServer({ adminSecret: newAdminSecret(), logger: silentLogger(), latency: LATENCY });
  const clients = createDownstreamClients(downstream.address);
  try {
    await connectWithRetry(db, { attempts: 3, backoff: { initialMs: 200, maxMs: 1_000 } });
    await applyLegacySchema(db, 'bench_fetch');
    const counters = tallyCounters();
    const deps = { clients, deadlineMs: 2_000, clock: Date.now };
    const modes = {
      'dependency graph (concurrent)': createOrderPricer(deps),
      'sequential, same calls': createOrderPricer({ ...deps, mode: 'sequential' }),
      'legacy: sequential + row read/write per step': createLegacyPricer({ ...deps, store: createLegacyOrderStore({ client: db, keyspace: 'bench_fetch', counters }) }),
    };
    const results: Record<string, { ms: number[]; ratio: number[] }> = {};
    for (const [name, pricer] of Object.entries(modes)) {
      await pricer.price(input(), `o-warm-${randomUUID()}`);
      counters.reset();
      results[name] = { ms: [], ratio: [] };
      for (let i = 0; i < RUNS; i++) {
        const { timings } = await pricer.price(input(), `o-${randomUUID()}`);
        results[name]!.ms.push(elapsed(timings));
        results[name]!.ratio.push(elapsed(timings) / criticalPath(timings.tasks).ms);
      }
      if (name.startsWith('legacy')) results[name]!.ratio = [counters.totals().read / RUNS, counters.totals().write / RUNS];
    }
    const [graph, seq, legacy] = Object.values(results).map((r) => summarize(r.ms));
    process.stdout.write(`\nfetch phase, ${RUNS} orders per mode; simulated latencies sum to ${SUM_MS} ms, critical path merchant→quote = 130 ms\n`);
    process.stdout.write(`${table(Object.entries(results).map(([what, r]) => ({ what, ...summarize(r.ms) })))}\n`);
    const graphRatio = summarize(results['dependency graph (concurrent)']!.ratio).p50;
    process.stdout.write(`speed-up of the graph (p50): ${(seq!.p50 / graph!.p50).toFixed(2)}x vs sequential, ${(legacy!.p50 / graph!.p50).toFixed(2)}x vs legacy; graph time / its critical path (p50) = ${graphRatio.toFixed(3)}\n`);
    const [legacyReads, legacyWrites] = results['legacy: sequential + row read/write per step']!.ratio;
    process.stdout.write(`Cassandra ops in the fetch phase per order: graph 0 reads 0 writes; legacy ${legacyReads} reads ${legacyWrites} writes\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'fetch', runs: RUNS, graph, sequential: seq, legacy, speedupVsSequential: seq!.p50 / graph!.p50, speedupVsLegacy: legacy!.p50 / graph!.p50, graphOverCriticalPath: graphRatio, legacyOps: { reads: legacyReads, writes: legacyWrites } })}\n`);
  } finally {
    clients.close();
    await downstream.stop(500);
    await db.shutdown();
    await infra.stop();
  }
}

main().catch((err: unknown) => { process.stderr.write(`bench:fetch failed: ${(err as Error).stack}\n`); process.exit(1); });
