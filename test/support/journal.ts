import type { Client } from 'cassandra-driver';
import { decodeOrderEvent } from '../../actors/order/order-events.js';
import type { OrderEvent } from '../../actors/order/order-events.js';
import { createCassandraPersistenceEngine } from '../../src/storage/cassandra-persistence-engine.js';
import { orderEventCodec } from '../../actors/order-runtime.js';
import { applySchema } from '../../src/storage/schema.js';
import type { StorageCounters } from '../../src/storage/storage-counters.js';
import { connectTestClient } from './cassandra.js';
import { randomBytes } from 'node:crypto';

/** A fresh keyspace with the service's schema, and a client bound to nothing (queries name it). */
export async function schemaKeyspace(prefix: string): Promise<{ client: Client; keyspace: string; drop(): Promise<void> }> {
  const client = await connectTestClient();
  const keyspace = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await applySchema(client, keyspace);
  return {
    client,
    keyspace,
    drop: async () => {
      await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
      await client.shutdown();
    },
  };
}

export function testEngine(client: Client, keyspace: string, writerId: string, extra: { pageSize?: number; counters?: StorageCounters } = {}) {
  return createCassandraPersistenceEngine({ client, keyspace, writerId, codec: orderEventCodec, ...extra });
}

/** The journal rows of one order as stored: seq, type and writer, in order. */
export async function journalOf(client: Client, keyspace: string, orderId: string): Promise<Array<{ seq: number; type: string; writer: string; event: OrderEvent }>> {
  const rs = await client.execute(`SELECT seq, event_type, schema_version, payload, writer FROM ${keyspace}.journal WHERE order_id = ?`, [orderId], { prepare: true, fetchSize: 10_000 });
  return rs.rows.map((r) => ({
    seq: Number(r.seq),
    type: r.event_type as string,
    writer: r.writer as string,
    event: decodeOrderEvent(r.event_type as string, r.schema_version as number, r.payload as string),
  }));
}
