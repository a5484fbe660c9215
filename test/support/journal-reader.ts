import type { Client } from 'cassandra-driver';
import { decodeOrderEvent, type OrderEvent } from '../../actors/order/order-events.js';
import { applyOrderEvent, emptyOrderState } from '../../actors/order/order-state.js';
import type { OrderStatus } from '../../src/domain/order.js';

/*
 * Reading journals as stored, for checks that trust only Cassandra. No vitest here: the chaos
 * benchmark script uses it too.
 */

export interface JournalRow { seq: number; writer: string; at: number; type: string; event: OrderEvent }

/** The journal rows of one order as stored, in sequence order. */
export async function journalOf(client: Client, keyspace: string, orderId: string): Promise<JournalRow[]> {
  const rs = await client.execute(`SELECT seq, event_type, schema_version, payload, writer FROM ${keyspace}.journal WHERE order_id = ?`, [orderId], { prepare: true, fetchSize: 10_000 });
  return rs.rows.map((r) => {
    const event = decodeOrderEvent(r.event_type as string, r.schema_version as number, r.payload as string);
    return { seq: Number(r.seq), writer: r.writer as string, at: event.at, type: r.event_type as string, event };
  });
}

/** The order's status as its journal says (NEW when it has none). */
export async function statusFromJournal(client: Client, keyspace: string, orderId: string): Promise<OrderStatus | 'NEW'> {
  return (await journalOf(client, keyspace, orderId)).map((r) => r.event).reduce(applyOrderEvent, emptyOrderState).status;
}
