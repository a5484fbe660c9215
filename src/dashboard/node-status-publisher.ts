import type { Registry } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import { readCounters } from './counters-snapshot.js';
import type { NodeStatusTable } from './node-status-table.js';
import { createRecentWindow } from './recent-window.js';

export const PUBLISH_EVERY_MS = 1_000;

export interface NodeStatusPublisher {
  /** Publishes at once, then every second. */
  start(addresses: { adminAddress: string; grpcAddress: string }): void;
  /** Stops publishing and removes the row, so a node that leaves gracefully disappears at once. */
  stop(): Promise<void>;
}

/**
 * Upserts this node's row in `node_status` every second: its addresses, the shards it owns now,
 * and its counters with their recent rates. A failed write is logged and tried again next tick;
 * the row's TTL covers a node that stops writing for good.
 */
export function createNodeStatusPublisher(opts: {
  nodeId: string; pool: string; shardCount: number; ownedShards(): number[]; metrics: Registry; table: NodeStatusTable; logger: Logger;
  clock?: () => number; everyMs?: number;
}): NodeStatusPublisher {
  const clock = opts.clock ?? Date.now;
  const startedAt = clock();
  const window = createRecentWindow({ startedAt });
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let addresses = { adminAddress: '', grpcAddress: '' };
  let failing = false;

  const publishOnce = async () => {
    const counters = await readCounters(opts.metrics);
    const now = clock();
    try {
      await opts.table.upsert({
        nodeId: opts.nodeId, pool: opts.pool, ...addresses, shards: [...opts.ownedShards()].sort((a, b) => a - b), shardCount: opts.shardCount,
        counters, recent: window.add(now, counters), startedAt, updatedAt: now,
      });
      if (failing) opts.logger.info('node status published again');
      failing = false;
    } catch (err) {
      // Once per outage: Cassandra being away is already reported by the health checks.
      if (!failing) opts.logger.warn({ err }, 'could not publish node status');
      failing = true;
    }
  };
  let running = false;
  // The next write is scheduled when one ends, so a slow Cassandra never gets two at once.
  const tick = () => {
    inFlight = publishOnce().finally(() => { if (running) timer = setTimeout(tick, opts.everyMs ?? PUBLISH_EVERY_MS); });
  };

  return {
    start(given) {
      addresses = given;
      if (running) return;
      running = true;
      tick();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await inFlight;
      clearTimeout(timer);
      await opts.table.remove(opts.nodeId).catch((err: unknown) => opts.logger.warn({ err }, 'could not remove node status'));
    },
  };
}
