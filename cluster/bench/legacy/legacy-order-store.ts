import cassandra, { type Client } from 'cassandra-driver';
import { noCounters, type StorageCounters } from '../../../src/storage/storage-counters.js';
import type { LegacyOrderRow, LegacyOrderStore } from './legacy-steps.js';

const TABLE = 'legacy_orders';

/** The legacy order row in Cassandra (`legacy_orders`), every read and write counted. */
export function createLegacyOrderStore(opts: { client: Client; keyspace: string; counters?: StorageCounters }): LegacyOrderStore {
  const { client, keyspace: ks } = opts;
  const counters = opts.counters ?? noCounters;
  const q = { prepare: true, consistency: cassandra.types.consistencies.quorum };
  return {
    async read(orderId) {
      counters.count('read', TABLE);
      const rs = await client.execute(`SELECT state, updated_at FROM ${ks}.${TABLE} WHERE order_id = ?`, [orderId], q);
      const row = rs.first();
      return row ? { state: row.state as string, updatedAt: Number(row.updated_at) } : undefined;
    },
    async write(orderId, row: LegacyOrderRow) {
      counters.count('write', TABLE);
      await client.execute(`INSERT INTO ${ks}.${TABLE} (order_id, state, updated_at) VALUES (?, ?, ?)`, [orderId, row.state, BigInt(row.updatedAt)], q);
    },
  };
}

/** The old monolith's order row (read and rewritten at every pricing step); not part of the service's schema. */
export async function applyLegacySchema(client: Client, keyspace: string): Promise<void> {
  await client.execute(`CREATE TABLE IF NOT EXISTS ${keyspace}.${TABLE} (order_id text PRIMARY KEY, state text, updated_at bigint)`, [], { prepare: false });
}
