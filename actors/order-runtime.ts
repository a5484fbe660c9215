import type { Client } from 'cassandra-driver';
import type { Logger } from '../src/observability/logger.js';
import { shardOf } from '../src/domain/shard-of.js';
import { createActiveOrderIndex, type ActiveOrderIndex } from '../src/storage/active-orders.js';
import { createCassandraPersistenceEngine, type EventCodec } from '../src/storage/cassandra-persistence-engine.js';
import { noCounters, type StorageCounters } from '../src/storage/storage-counters.js';
import type { CheckoutSteps } from '../src/domain/checkout-steps.js';
import { DEFAULT_FALLBACK_SETTINGS, type FallbackSettings } from '../src/resilience/fallback-settings.js';
import { decodeOrderEvent, type OrderEvent } from './order/order-events.js';
import type { OrderState } from './order/order-state.js';
import type { OrderHooks } from './order-hooks.js';
import { createOrderRegistry, type OrderRegistry } from './order-registry.js';
import type { RetryOverride } from './steps/step-runner.js';
import { startActorSystem, type SystemRef } from './typed-nact.js';

export const orderEventCodec: EventCodec = {
  encode: (data) => {
    const event = data as OrderEvent;
    return { type: event.type, version: event.v, payload: JSON.stringify(event) };
  },
  decode: decodeOrderEvent,
};

export interface OrderRuntimeOptions extends OrderHooks {
  nodeId: string;
  client: Client;
  keyspace: string;
  steps: CheckoutSteps;
  shards: number;
  /** The index of unfinished orders by shard; default `active_orders` keyed by shard as is. */
  index?: ActiveOrderIndex;
  /** Replaces parts of every step's declared retry policy (`actors/order/checkout-flow.ts`). */
  retryOverride?: RetryOverride;
  /** The step fallbacks this node may take and their limits; all on by default. */
  fallbacks?: FallbackSettings;
  snapshotEvery: number;
  /** How long a finished order's actor stays in memory (late duplicates answered without a replay); default 30 000. */
  lingerMs?: number;
  /** A/B runs only: leave finished step runners alive until their order stops. */
  keepFinishedRunners?: boolean;
  queryTimeoutMs?: number;
  counters?: StorageCounters;
  logger: Logger;
  clock?: () => number;
}

export interface OrderRuntime {
  system: SystemRef;
  registry: OrderRegistry;
  shardOf(orderId: string): number;
  stop(): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The order actors of one node, wired to Cassandra and the downstream steps. */
export function createOrderRuntime(opts: OrderRuntimeOptions): OrderRuntime {
  const counters = opts.counters ?? noCounters;
  const engine = createCassandraPersistenceEngine({ client: opts.client, keyspace: opts.keyspace, writerId: opts.nodeId, codec: orderEventCodec, counters });
  const system = startActorSystem(`orders-${opts.nodeId}-${Date.now().toString(36)}`, engine);
  const shard = (orderId: string) => shardOf(orderId, opts.shards);
  const registry = createOrderRegistry({
    system,
    index: opts.index ?? createActiveOrderIndex({ client: opts.client, keyspace: opts.keyspace, counters }),
    shardOf: shard,
    queryTimeoutMs: opts.queryTimeoutMs ?? 10_000,
    lingerMs: opts.lingerMs ?? 30_000,
    logger: opts.logger,
    assumeEmpty: (orderId) => engine.assumeEmpty(orderId),
    hooks: opts,
    actor: {
      engine,
      nodeId: opts.nodeId,
      clock: opts.clock ?? Date.now,
      snapshotEvery: opts.snapshotEvery,
      keepFinishedRunners: opts.keepFinishedRunners,
      fallbacks: opts.fallbacks ?? DEFAULT_FALLBACK_SETTINGS,
      // Storage outages are waited out (Cassandra restarting): an order must not be abandoned for one.
      recoveryPolicy: { maxAttempts: Number.POSITIVE_INFINITY, backoff: { initialMs: 100, maxMs: 5_000, jitter: 0.5 } },
      logger: opts.logger,
      runner: { steps: opts.steps, ...(opts.retryOverride ? { retryOverride: opts.retryOverride } : {}), sleep },
    },
  });
  return {
    system,
    registry,
    shardOf: shard,
    stop: () => registry.stopAll(),
  };
}
