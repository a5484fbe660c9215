import type { Client } from 'cassandra-driver';
import { journalRows } from '../../src/storage/journal-reader.js';
import type { OrderStatus } from '../../src/domain/order.js';
import { decodeOrderEvent, type OrderEvent } from './order-events.js';
import { applyOrderEvent, emptyOrderState } from './order-state.js';

/** One journal row decoded: for checks that trust only what Cassandra holds (tests, chaos, benches). */
export interface JournalRow { seq: number; writer: string; at: number; type: string; event: OrderEvent }

/** The journal rows of one order as stored, in sequence order, decoded. */
export async function journalOf(client: Client, keyspace: string, orderId: string): Promise<JournalRow[]> {
  return (await journalRows(client, keyspace, orderId)).map((r) => {
    const event = decodeOrderEvent(r.eventType, r.schemaVersion, r.payload);
    return { seq: r.seq, writer: r.writer, at: event.at, type: r.eventType, event };
  });
}

/** The order's status as its journal says (NEW when it has none). */
export async function statusFromJournal(client: Client, keyspace: string, orderId: string): Promise<OrderStatus | 'NEW'> {
  return (await journalOf(client, keyspace, orderId)).map((r) => r.event).reduce(applyOrderEvent, emptyOrderState).status;
}
