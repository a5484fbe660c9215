import type { OrderEvent } from '../../actors/order/order-events.js';
import type { OrderState } from '../../actors/order/order-state.js';
import { createOrderRuntime, type OrderRuntime } from '../../actors/order-runtime.js';
import type { OrderRegistryOptions } from '../../actors/order-registry.js';
import type { CheckoutSteps } from '../../src/domain/checkout-steps.js';
import type { RetryOverride } from '../../actors/steps/step-runner.js';
import type { FallbackSettings } from '../../src/resilience/fallback-settings.js';
import { grpcCheckoutSteps } from '../../src/clients/grpc-checkout-steps.js';
import { isTerminal } from '../../src/domain/order.js';
import { checkLedger } from '../../cluster/local/downstream/ledger-invariants.js';
import { readFinalOrders } from '../../cluster/local/chaos/chaos-check.js';
import type { LedgerEntry } from '../../cluster/local/downstream/ledger.js';
import { createActiveOrderIndex, type ActiveOrderIndex } from '../../src/storage/active-orders.js';
import { silentLogger } from '../../src/observability/logger.js';
import { tallyCounters } from '../../src/storage/storage-counters.js';
import { startHarness, type Harness } from './downstream.js';
import { schemaKeyspace } from './journal.js';
import type { Client } from 'cassandra-driver';
import { Registry } from 'prom-client';
import { createOrderMetrics } from '../../actors/order-metrics.js';

export const fastRetries: RetryOverride = { maxAttempts: 4, initialMs: 10, maxMs: 40 };

export interface NodeUnderTest {
  nodeId: string;
  metrics: Registry;
  runtime: OrderRuntime;
  counters: ReturnType<typeof tallyCounters>;
  fenced: string[];
  /** Resolves with the order's state once it is terminal on this node. */
  terminal(orderId: string, timeoutMs?: number): Promise<OrderState>;
  eventsOf(orderId: string): OrderEvent[];
}

export interface OrderHarness {
  downstream: Harness;
  client: Client;
  keyspace: string;
  /** A node: an actor system with its own registry over the shared keyspace and downstream. */
  node(nodeId: string, opts?: {
    steps?: (real: CheckoutSteps) => CheckoutSteps; retryOverride?: RetryOverride; snapshotEvery?: number;
    /** The step fallbacks this node may take; the production defaults (all on) unless given. */
    fallbacks?: FallbackSettings;
    /** See OrderRegistryOptions.reviveFenced (unset: a fenced order stays stopped). */
    reviveFenced?: OrderRegistryOptions['reviveFenced'];
    /** Stands in for the status announcement (the Kafka publish) of each event and of each recovered order. */
    announce?: (orderId: string, state: OrderState) => Promise<void>;
    /** Wraps the node's index of unfinished orders (the real `active_orders_by_position` table). */
    index?: (real: ActiveOrderIndex) => ActiveOrderIndex;
  }): NodeUnderTest;
  ledger(orderId: string): Promise<LedgerEntry[]>;
  /** Ledger invariants for these orders given their final statuses (and the totals their journals priced); [] when all hold. */
  violations(statuses: Record<string, string>): Promise<string[]>;
  stop(): Promise<void>;
}

/** Real Cassandra (a fresh keyspace) and a real downstream gRPC server, with nodes made on demand. */
export async function startOrderHarness(prefix: string, downstreamOpts: Parameters<typeof startHarness>[0] = {}): Promise<OrderHarness> {
  const ks = await schemaKeyspace(prefix);
  const downstream = await startHarness(downstreamOpts);
  const nodes: NodeUnderTest[] = [];
  const realSteps = grpcCheckoutSteps(downstream.clients, 2_000);

  const node: OrderHarness['node'] = (nodeId, opts = {}) => {
    const counters = tallyCounters();
    const metrics = new Registry();
    const orderMetrics = createOrderMetrics(metrics);
    const events = new Map<string, OrderEvent[]>();
    const waiters = new Map<string, Array<(s: OrderState) => void>>();
    const fenced: string[] = [];
    const runtime = createOrderRuntime({
      nodeId, client: ks.client, keyspace: ks.keyspace, shards: 12, counters,
      ...(opts.index ? { index: opts.index(createActiveOrderIndex({ client: ks.client, keyspace: ks.keyspace, counters })) } : {}),
      steps: opts.steps ? opts.steps(realSteps) : realSteps,
      retryOverride: opts.retryOverride ?? fastRetries,
      ...(opts.fallbacks ? { fallbacks: opts.fallbacks } : {}),
      snapshotEvery: opts.snapshotEvery ?? 50,
      lingerMs: 60_000,
      reviveFenced: opts.reviveFenced,
      logger: silentLogger(),
      onAttemptFailed: (_orderId, report) => orderMetrics.onAttemptFailed(report.step, report.kind),
      onEvent: (orderId, event, state) => {
        orderMetrics.onEvent(orderId, event, state);
        events.set(orderId, [...(events.get(orderId) ?? []), event]);
        if (isTerminal(state.status)) for (const w of waiters.get(orderId) ?? []) w(state);
        return opts.announce?.(orderId, state);
      },
      onRecovered: (orderId, state) => opts.announce?.(orderId, state),
      onFenced: (orderId) => fenced.push(orderId),
    });
    const terminal = async (orderId: string, timeoutMs = 20_000) => {
      const now = (await runtime.registry.get(orderId)).state;
      if (isTerminal(now.status)) return now;
      return new Promise<OrderState>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${orderId} not terminal on ${nodeId} within ${timeoutMs} ms`)), timeoutMs);
        waiters.set(orderId, [...(waiters.get(orderId) ?? []), (s) => { clearTimeout(timer); resolve(s); }]);
      });
    };
    const made: NodeUnderTest = { nodeId, metrics, runtime, counters, fenced, terminal, eventsOf: (id) => events.get(id) ?? [] };
    nodes.push(made);
    return made;
  };

  const ledger = (orderId: string) => downstream.ledger(orderId);
  return {
    downstream, client: ks.client, keyspace: ks.keyspace, node, ledger,
    async violations(statuses) {
      const ids = Object.keys(statuses);
      const entries = (await Promise.all(ids.map(ledger))).flat();
      const journals = await readFinalOrders(ks.client, ks.keyspace, ids);
      const finals = new Map(ids.map((id) => [id, { status: statuses[id]!, totalMinor: journals.get(id)!.totalMinor }]));
      return checkLedger(entries, finals).violations.map((v) => `${v.orderId}: ${v.rule} ${v.detail}`);
    },
    async stop() {
      for (const n of nodes) n.runtime.stop();
      await downstream.stop();
      await ks.drop();
    },
  };
}
