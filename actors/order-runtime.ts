import type { Client } from 'cassandra-driver';
import type { Logger } from '../src/observability/logger.js';
import { shardOf } from '../src/domain/shard-of.js';
import { createActiveOrderIndex, type ActiveOrderIndex } from '../src/storage/active-orders.js';
import { createCassandraPersistenceEngine, type EventCodec } from '../src/storage/cassandra-persistence-engine.js';
import { createGroupCommitEngine } from '../src/storage/group-commit-engine.js';
import { createShardLogIndex } from '../src/storage/shard-log-index.js';
import { createFencedJournalEngine } from '../src/storage/fenced-journal-engine.js';
import { noCounters, type StorageCounters } from '../src/storage/storage-counters.js';
import type { CheckoutSteps } from '../src/domain/checkout-steps.js';
import { DEFAULT_FALLBACK_SETTINGS, type FallbackSettings } from '../src/resilience/fallback-settings.js';
import { decodeOrderEvent, type OrderEvent } from './order/order-events.js';
import type { OrderState } from './order/order-state.js';
import type { OrderHooks } from './order-hooks.js';
import { createOrderRegistry, type OrderRegistry, type OrderRegistryOptions } from './order-registry.js';
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
  /** The index of unfinished orders by shard; default `active_orders_by_position` keyed by shard as is (lwt mode only). */
  index?: ActiveOrderIndex;
  /** Replaces parts of every step's declared retry policy (`actors/order/checkout-flow.ts`). */
  retryOverride?: RetryOverride;
  /** The step fallbacks this node may take and their limits; all on by default. */
  fallbacks?: FallbackSettings;
  /**
   * `lwt` (default): a conditional insert per event into the per-order `journal`.
   * `fenced`: the per-order `fenced_journal`: the first event conditional, the rest plain inserts
   * checked by a fence read; unfinished orders in `active_orders_by_position`, as with `lwt`.
   * `group`: group commit into the shard's log, fenced by the shard owner's epoch; the log also
   * lists the shard's unfinished orders (no `active_orders_by_position` writes).
   */
  journalMode?: 'lwt' | 'fenced' | 'group';
  /** group mode: the log of one of this node's shards (default `main/<shard>`). */
  logIdOf?(shard: number): string;
  /** group mode: flushes in flight at once over the node's logs (0 or unset: one per log). */
  flushesInFlight?: number;
  snapshotEvery: number;
  /** How long a finished order's actor stays in memory (late duplicates answered without a replay); default 30 000. */
  lingerMs?: number;
  /** A/B runs only: leave finished step runners alive until their order stops. */
  keepFinishedRunners?: boolean;
  queryTimeoutMs?: number;
  /** See OrderRegistryOptions.reviveFenced (unset: a fenced order stays stopped). */
  reviveFenced?: OrderRegistryOptions['reviveFenced'];
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
  const shard = (orderId: string) => shardOf(orderId, opts.shards);
  const engineOpts = { client: opts.client, keyspace: opts.keyspace, writerId: opts.nodeId, codec: orderEventCodec, counters };
  const logIdOf = opts.logIdOf ?? ((s: number) => `main/${s}`);
  const group = opts.journalMode === 'group' ? createGroupCommitEngine({ ...engineOpts, logOf: (id) => logIdOf(shard(id)), flushesInFlight: opts.flushesInFlight || undefined }) : undefined;
  const engine = group ?? (opts.journalMode === 'fenced' ? createFencedJournalEngine({ ...engineOpts, fence: true }) : createCassandraPersistenceEngine(engineOpts));
  const system = startActorSystem(`orders-${opts.nodeId}-${Date.now().toString(36)}`, engine);
  const index = group
    ? createShardLogIndex({ engine: group, client: opts.client, keyspace: opts.keyspace, logIdOf, counters })
    : opts.index ?? createActiveOrderIndex({ client: opts.client, keyspace: opts.keyspace, counters });
  const registry = createOrderRegistry({
    system,
    index,
    shardOf: shard,
    queryTimeoutMs: opts.queryTimeoutMs ?? 10_000,
    lingerMs: opts.lingerMs ?? 30_000,
    logger: opts.logger,
    assumeEmpty: (orderId) => engine.assumeEmpty(orderId),
    reviveFenced: opts.reviveFenced,
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
    stop: () => { registry.stopAll(); group?.releaseAll(); },
  };
}
