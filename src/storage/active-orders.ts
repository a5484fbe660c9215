import cassandra, { type Client } from 'cassandra-driver';
import { noCounters, type StorageCounters } from './storage-counters.js';

/**
 * Orders that are not terminal yet, by shard. A node that takes a shard reads this to know which
 * orders to wake; an order is added before its first event and removed once it is terminal, so a
 * crash in between leaves at worst a terminal order listed (recovered, seen terminal, removed).
 */
export interface ActiveOrderIndex {
  add(shard: number, orderId: string, placedAt: number): Promise<void>;
  remove(shard: number, orderId: string): Promise<void>;
  list(shard: number): Promise<string[]>;
  /** The shard left this node (an index that is also the shard's journal forgets its claim). */
  release?(shard: number): void;
}

export function createActiveOrderIndex(opts: { client: Client; keyspace: string; counters?: StorageCounters }): ActiveOrderIndex {
  const { client, keyspace: ks } = opts;
  const counters = opts.counters ?? noCounters;
  const q = { prepare: true, consistency: cassandra.types.consistencies.quorum };
  return {
    async add(shard, orderId, placedAt) {
      counters.count('write', 'active_orders');
      await client.execute(`INSERT INTO ${ks}.active_orders (shard, order_id, placed_at) VALUES (?, ?, ?)`, [shard, orderId, BigInt(placedAt)], q);
    },
    async remove(shard, orderId) {
      counters.count('write', 'active_orders');
      await client.execute(`DELETE FROM ${ks}.active_orders WHERE shard = ? AND order_id = ?`, [shard, orderId], q);
    },
    async list(shard) {
      const ids: string[] = [];
      let pageState: string | undefined;
      do {
        counters.count('read', 'active_orders');
        const rs = await client.execute(`SELECT order_id FROM ${ks}.active_orders WHERE shard = ?`, [shard], { ...q, fetchSize: 1000, pageState });
        for (const row of rs.rows) ids.push(row.order_id as string);
        pageState = rs.pageState ?? undefined;
      } while (pageState);
      return ids;
    },
  };
}
