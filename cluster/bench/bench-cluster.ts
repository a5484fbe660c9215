/**
 * What the cluster benchmarks share: a local cluster started through the project's launcher (its
 * own Cassandra with `commitlog_sync: batch`, the Kafka-protocol broker, downstream services and
 * N node processes), authenticated gRPC clients for every node, a watcher that sees each order's
 * terminal status on `order-events` (as any node's watchers do), and CPU time per process.
 */
import { readFile } from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import type { Consumer } from 'kafkajs';
import type { Client } from 'cassandra-driver';
import { connectWithRetry, createCassandraClient } from '../../src/storage/cassandra-client.js';
import { createTokenService } from '../../src/edge/auth.js';
import { createKafkaClient } from '../../src/messaging/kafka-client.js';
import { decodeOrderView } from '../../src/messaging/order-status-events.js';
import type { CheckoutServiceClient } from '../../src/generated/checkout/v1/CheckoutService.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { isTerminal, type OrderStatus } from '../../src/domain/order.js';
import { projectPath } from '../../src/config/paths.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { startLocalCluster, type LocalCluster } from '../local/local-cluster.js';
import { checkoutClient } from '../../src/clients/checkout-client.js';
import { placeRequest } from '../../src/load/demo-orders.js';

export interface Terminal { status: OrderStatus; seenAt: number }

export interface BenchCluster {
  cluster: LocalCluster;
  /** Places one order on one of the live nodes (round robin by `i`); resolves with the order id. */
  place(i: number): Promise<string>;
  /** Wall-clock time (Date.now) each order's terminal status reached the watcher. */
  terminal: Map<string, Terminal>;
  /** Resolves when every id has a terminal status, or after timeoutMs with those still open. */
  waitTerminal(ids: readonly string[], timeoutMs: number): Promise<string[]>;
  /** CPU seconds used so far per process (nodes, downstream, Cassandra, broker, this bench). */
  cpuSeconds(): Promise<Record<string, number>>;
  /** A Cassandra session on the cluster's keyspace's Cassandra (for reading journals after a run). */
  db: Client;
  stop(): Promise<void>;
}

const CONSUMERS = 50;

/** Step latencies like real services (ms): fraud 30, authorize 80, delivery 60, merchant 40, capture 50. */
export const STEP_LATENCY = [
  { target: 'fraud.Assess', fixedMs: 30 }, { target: 'payments.Authorize', fixedMs: 80 },
  { target: 'logistics.CreateDelivery', fixedMs: 60 }, { target: 'merchant.SendOrder', fixedMs: 40 },
  { target: 'payments.Capture', fixedMs: 50 },
];

export async function startBenchCluster(opts: { name: string; nodes?: number; latency: unknown[]; env?: Record<string, string>; nodeArgs?: string[] }): Promise<BenchCluster> {
  const logger = createLogger({ level: 'warn', name: opts.name });
  const cluster = await startLocalCluster({
    nodes: opts.nodes ?? 3, logger, env: { LOG_LEVEL: 'warn', ...opts.env },
    downstreamLatency: JSON.stringify(opts.latency), nodeArgs: opts.nodeArgs,
    logDir: projectPath('.run', `${opts.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  });
  // By address: a restarted node listens on a new port. grpc-js shares one channel per target.
  const clientFor = new Map<string, CheckoutServiceClient>();
  const closeClients = () => { for (const c of clientFor.values()) c.close(); };
  let watcher: Consumer | undefined;
  let db: Client | undefined;
  try {
    const tokens = createTokenService({ secret: cluster.config.AUTH_SECRET });
    const tokenOf = new Map<string, string>();
    for (let c = 0; c < CONSUMERS; c++) tokenOf.set(`c-bench-${c}`, await tokens.mint(`c-bench-${c}`, { ttlSeconds: 3600 }));
    const client = (address: string, consumerId: string) => {
      const key = `${address}|${consumerId}`;
      let c = clientFor.get(key);
      if (!c) { c = checkoutClient(address, tokenOf.get(consumerId)); clientFor.set(key, c); }
      return c;
    };

    const terminal = new Map<string, Terminal>();
    const waiters = new Set<() => void>();
    const kafka = createKafkaClient({ clientId: `${opts.name}-watch`, brokers: cluster.infra.kafkaBrokers, logLevel: 'warn' }, silentLogger());
    // The broker answers a waiting fetch when data arrives, so a long wait costs the watcher no
    // latency and saves it (and the broker) an idle fetch every 20 ms. BENCH_WATCH_FETCH_WAIT_MS: A/B runs.
    const watchWaitMs = Number(process.env.BENCH_WATCH_FETCH_WAIT_MS ?? 500);
    watcher = kafka.consumer({ groupId: `${opts.name}-watch-${Date.now()}`, maxWaitTimeInMs: watchWaitMs, sessionTimeout: 10_000 });
    await watcher.connect();
    await watcher.subscribe({ topics: [cluster.config.KAFKA_EVENTS_TOPIC], fromBeginning: true });
    // A throwaway group: nothing resumes from its offsets, so it commits none (a commit per batch
    // was ≈3 % of the load generator's CPU in the 40/s profile).
    await watcher.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const view = decodeOrderView(message.value);
        if (!view || !isTerminal(view.status) || terminal.has(view.orderId)) return;
        terminal.set(view.orderId, { status: view.status, seenAt: Date.now() });
        for (const w of waiters) w();
      },
    });

    const place = (i: number) => new Promise<string>((resolve, reject) => {
      // Like a client's load balancer: only nodes that are up (the failover bench kills one).
      const live = cluster.nodes.filter((n) => n.process && n.grpcAddress);
      const node = live[i % live.length];
      if (!node) return reject(new Error('no node is up'));
      const consumerId = `c-bench-${Math.floor(i / cluster.nodes.length) % CONSUMERS}`;
      client(node.grpcAddress!, consumerId).placeOrder(placeRequest(consumerId), { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res?: PlaceOrderResponse__Output) => {
        if (err) reject(err);
        else resolve(res!.orderId);
      });
    });

    const waitTerminal = (ids: readonly string[], timeoutMs: number) => new Promise<string[]>((resolve) => {
      const open = () => ids.filter((id) => !terminal.has(id));
      const check = () => { if (open().length === 0) finish(); };
      const finish = () => { clearTimeout(timer); waiters.delete(check); resolve(open()); };
      const timer = setTimeout(finish, timeoutMs);
      waiters.add(check);
      check();
    });

    const cpuSeconds = async () => {
      const pids: Record<string, number> = { bench: process.pid, downstream: cluster.downstream.pid };
      for (const n of cluster.nodes) if (n.process) pids[n.id] = n.process.pid;
      if (cluster.infra.cassandra) pids.cassandra = cluster.infra.cassandra.pid;
      if (cluster.infra.broker) pids.broker = cluster.infra.broker.pid;
      const out: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids)) out[name] = await processCpuSeconds(pid);
      return out;
    };

    db = createCassandraClient({ contactPoints: cluster.infra.cassandraContactPoints, localDataCenter: cluster.infra.cassandraLocalDc });
    await connectWithRetry(db, { attempts: 3, backoff: { initialMs: 200, maxMs: 1_000 } });
    const w = watcher;
    const session = db;
    return {
      cluster, place, terminal, waitTerminal, cpuSeconds, db: session,
      async stop() {
        closeClients();
        await session.shutdown().catch(() => undefined);
        await w.disconnect().catch(() => undefined);
        await cluster.stop();
      },
    };
  } catch (err) {
    closeClients();
    await db?.shutdown().catch(() => undefined);
    await watcher?.disconnect().catch(() => undefined);
    await cluster.stop();
    throw err;
  }
}

/** utime + stime of a process from /proc (children's time not included), in seconds. */
export async function processCpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; CLK_TCK is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/** Per-process CPU between two samples, as a share of one core over `seconds`. */
export function cpuShare(before: Record<string, number>, after: Record<string, number>, seconds: number): Record<string, string> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, `${(((after[k]! - (before[k] ?? 0)) / seconds) * 100).toFixed(0)}%`]));
}
