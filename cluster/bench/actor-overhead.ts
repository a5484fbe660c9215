/**
 * `npm run bench:actor`: what the actor machinery adds per step, on real Cassandra (durable
 * `commitlog_sync: batch`) and a real downstream gRPC server with zero injected latency.
 * In the same run it times the two unavoidable costs of a step — one conditional journal append
 * and one downstream gRPC call — and reports the rest of an order's time as overhead.
 */
import { newAdminSecret } from '../local/downstream/admin-service.js';
import { randomUUID } from 'node:crypto';
import { createOrderRuntime } from '../../actors/order-runtime.js';
import { grpcCheckoutSteps } from '../../src/clients/grpc-checkout-steps.js';
import { createDownstreamClients } from '../../src/clients/downstream-clients.js';
import { startDownstreamServer } from '../local/downstream/downstream-server.js';
import { isTerminal, type PricedOrder } from '../../src/domain/order.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';
import { createCassandraPersistenceEngine } from '../../src/storage/cassandra-persistence-engine.js';
import { tallyCounters } from '../../src/storage/storage-counters.js';
import { orderEventCodec } from '../../actors/order-runtime.js';
import { startLocalInfra } from '../local/local-infra.js';
import { summarize, table } from '../../src/load/stats.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 200);
const WARMUP = 30;
const STEPS = 5;
const EVENTS = 6;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);

function order(): PricedOrder {
  return {
    orderId: `o-${randomUUID()}`, consumerId: 'c-1', merchantId: 'm-1', paymentMethodId: 'pm-4242', currency: 'USD',
    lines: [{ itemId: 'm-1-item-1', name: 'Item', quantity: 1, unitPriceMinor: 499, note: '' }],
    subtotalMinor: 499, deliveryFeeMinor: 199, tipMinor: 0, totalMinor: 698,
    address: { line1: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: 40.72, lng: -74.0 },
    pickup: { lat: 40.7128, lng: -74.006 }, placedAt: Date.now(),
  };
}

async function main(): Promise<void> {
  const log = createLogger({ level: 'warn', name: 'bench' });
  const keyspace = 'bench_actor';
  const infra = await startLocalInfra({ keyspace, topics: [], logger: log, skipKafka: true });
  const client = createCassandraClient({ contactPoints: infra.cassandraContactPoints, localDataCenter: infra.cassandraLocalDc });
  const downstream = await startDownstreamServer({ adminSecret: newAdminSecret(), logger: silentLogger() });
  const clients = createDownstreamClients(downstream.address);
  try {
    await connectWithRetry(client, { attempts: 3, backoff: { initialMs: 200, maxMs: 1_000 } });
    const counters = tallyCounters();
    const done = new Map<string, () => void>();
    const runtime = createOrderRuntime({
      nodeId: 'bench', client, keyspace, shards: 12, counters, snapshotEvery: 50,
      steps: grpcCheckoutSteps(clients, 2_000), retryOverride: { maxAttempts: 3, initialMs: 10, maxMs: 50 },
      logger: silentLogger(), lingerMs: 1_000,
      onEvent: (id, _e, state) => { if (isTerminal(state.status)) done.get(id)?.(); },
    });
    const runOrder = async () => {
      const o = order();
      const t0 = performance.now();
      const finished = new Promise<void>((resolve) => done.set(o.orderId, resolve));
      await runtime.registry.place(o);
      await finished;
      return performance.now() - t0;
    };
    for (let i = 0; i < WARMUP; i++) await runOrder();
    counters.reset();
    const orderMs: number[] = [];
    for (let i = 0; i < ORDERS; i++) orderMs.push(await runOrder());
    const ops = counters.totals();
    // The same orders, CONCURRENCY at a time: does the machinery's cost per event hold under load?
    const concurrentMs: number[] = [];
    const started = performance.now();
    for (let i = 0; i < ORDERS; i += CONCURRENCY) {
      concurrentMs.push(...(await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ORDERS - i) }, runOrder))));
    }
    const concurrentRate = ORDERS / ((performance.now() - started) / 1000);

    const engine = createCassandraPersistenceEngine({ client, keyspace, writerId: 'bench', codec: orderEventCodec });
    const appendMs: number[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const t0 = performance.now();
      await engine.persist({ data: { type: 'CancelRequested', v: 1, reason: '', at: 0, node: 'b' }, sequenceNumber: 1, key: `raw-${randomUUID()}`, createdAt: Date.now(), isDeleted: false, tags: [] });
      appendMs.push(performance.now() - t0);
    }
    const writeMs: number[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const t0 = performance.now();
      await client.execute(`INSERT INTO ${keyspace}.active_orders_by_position (shard, position, order_id) VALUES (?, ?, ?)`, [99, BigInt(Date.now()), `raw-${i}`], { prepare: true });
      writeMs.push(performance.now() - t0);
    }
    await client.execute(`DELETE FROM ${keyspace}.active_orders_by_position WHERE shard = 99`, [], { prepare: true });
    const callMs: number[] = [];
    for (let i = 0; i < ORDERS; i++) {
      const t0 = performance.now();
      await clients.fraud.assess({ idempotencyKey: `raw-${randomUUID()}`, orderId: `raw-${i}`, consumerId: 'c-1', amount: { currency: 'USD', minor: 1 }, paymentMethodId: 'pm-4242' });
      callMs.push(performance.now() - t0);
    }
    const order50 = summarize(orderMs).p50;
    // On the critical path: the shard-index insert, the six appends and the five calls.
    const floor = summarize(writeMs).p50 + EVENTS * summarize(appendMs).p50 + STEPS * summarize(callMs).p50;
    const overheadPerStep = (order50 - floor) / EVENTS;
    process.stdout.write(`\nactor overhead (${ORDERS} sequential orders, Cassandra commitlog_sync=batch, downstream latency 0)\n`);
    process.stdout.write(`${table([
      { what: 'order end to end (place → COMPLETED)', ...summarize(orderMs) },
      { what: `same, ${CONCURRENCY} orders at a time`, ...summarize(concurrentMs) },
      { what: 'one conditional journal append (LWT)', ...summarize(appendMs) },
      { what: 'one plain insert (shard index)', ...summarize(writeMs) },
      { what: 'one downstream gRPC call', ...summarize(callMs) },
    ])}\n`);
    process.stdout.write(`floor = 1 insert + ${EVENTS} appends + ${STEPS} calls (p50) = ${floor.toFixed(2)} ms; actor machinery per event (p50) = ${overheadPerStep.toFixed(2)} ms\n`);
    process.stdout.write(`${CONCURRENCY} at a time: ${concurrentRate.toFixed(1)} orders/s on one process\n`);
    process.stdout.write(`per order: ${ops.read / ORDERS} reads, ${ops.lwt / ORDERS} LWT appends, ${ops.write / ORDERS} plain writes\n`);
    process.stdout.write(`${JSON.stringify({ bench: 'actor-overhead', orders: ORDERS, orderMs: summarize(orderMs), concurrent: { concurrency: CONCURRENCY, orderMs: summarize(concurrentMs), ordersPerSec: concurrentRate }, appendMs: summarize(appendMs), callMs: summarize(callMs), insertMs: summarize(writeMs), floorMs: floor, overheadPerEventMs: overheadPerStep, perOrder: { reads: ops.read / ORDERS, lwt: ops.lwt / ORDERS, writes: ops.write / ORDERS } })}\n`);
    runtime.stop();
  } finally {
    clients.close();
    await downstream.stop(500);
    await client.shutdown();
    await infra.stop();
  }
}

main().catch((err: unknown) => { process.stderr.write(`bench:actor failed: ${(err as Error).stack}\n`); process.exit(1); });
