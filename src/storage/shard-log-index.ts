import cassandra from 'cassandra-driver';
import type { ActiveOrderIndex } from './active-orders.js';
import type { GroupCommitEngine } from './group-commit-engine.js';
import { noCounters, type StorageCounters } from './storage-counters.js';

/**
 * A shard's unfinished orders, kept in the shard's own log: a marker row per order that rides in
 * the same conditional batch as the order's events (no write of its own), removed by a later
 * flush once the finished order was announced. Listing a shard is how a node takes it: the claim
 * (epoch bump) comes first, then the read, so the list holds every order the old owner started.
 */
export function createShardLogIndex(opts: {
  engine: GroupCommitEngine;
  keyspace: string;
  client: cassandra.Client;
  /** The log of a shard of this node's pool. */
  logIdOf(shard: number): string;
  counters?: StorageCounters;
}): ActiveOrderIndex {
  const { engine, client } = opts;
  const counters = opts.counters ?? noCounters;
  const listCql = `SELECT order_id FROM ${opts.keyspace}.order_log WHERE log_id = ? AND kind = 'o'`;
  return {
    // Not awaited to durability: the marker is queued ahead of the order's first event, so it
    // lands in the same flush or an earlier one, and fails with it.
    async add(shard, orderId, placedAt) {
      engine.log(opts.logIdOf(shard)).mark({ kind: 'open', orderId, placedAt }).catch(() => undefined);
    },
    remove: (shard, orderId) => engine.log(opts.logIdOf(shard)).mark({ kind: 'close', orderId }),
    async list(shard) {
      const logId = opts.logIdOf(shard);
      await engine.log(logId).claim();
      const ids: string[] = [];
      let pageState: string | undefined;
      do {
        counters.count('read', 'order_log');
        const rs = await client.execute(listCql, [logId], { prepare: true, fetchSize: 1000, pageState, consistency: cassandra.types.consistencies.quorum });
        for (const row of rs.rows) ids.push(row.order_id as string);
        pageState = rs.pageState ?? undefined;
      } while (pageState);
      return ids;
    },
    release: (shard) => engine.log(opts.logIdOf(shard)).release(),
  };
}
