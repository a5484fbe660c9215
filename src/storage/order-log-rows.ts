import cassandra, { type Client } from 'cassandra-driver';
import type { JournalReadOptions, StoredJournalRow } from './journal-reader.js';

/** An order's events in a known shard log, paged, seq > afterSeq (the group engine's recovery). */
export async function* readOrderLog(client: Client, keyspace: string, logId: string, orderId: string, opts: JournalReadOptions = {}): AsyncGenerator<StoredJournalRow> {
  const cql = `SELECT seq, event_type, schema_version, payload, created_at, writer FROM ${keyspace}.order_log WHERE log_id = ? AND kind = 'e' AND order_id = ? AND seq > ?`;
  let pageState: string | undefined;
  do {
    opts.onPage?.();
    const rs = await client.execute(cql, [logId, orderId, BigInt(opts.afterSeq ?? 0)], {
      prepare: true, fetchSize: opts.pageSize ?? 500, pageState, consistency: cassandra.types.consistencies.quorum,
    });
    for (const r of rs.rows) yield toRow(r);
    pageState = rs.pageState ?? undefined;
  } while (pageState);
}

const toRow = (r: cassandra.types.Row): StoredJournalRow => ({
  seq: Number(r.seq), writer: (r.writer as string | null) ?? '', eventType: r.event_type as string,
  schemaVersion: r.schema_version as number, payload: r.payload as string, createdAt: Number(r.created_at),
});

/**
 * An order's events in the shard logs (JOURNAL_MODE=group), for readers that know the order id
 * but not the shard count of its pool (dashboard, checks): the shard logs are few partitions, so
 * one query asks all of them for the order's slice.
 */
export async function readOrderLogRows(client: Client, keyspace: string, orderId: string): Promise<StoredJournalRow[]> {
  const logs = await logIds(client, keyspace);
  if (logs.length === 0) return [];
  const rs = await client.execute(
    `SELECT seq, event_type, schema_version, payload, created_at, writer FROM ${keyspace}.order_log WHERE log_id IN ? AND kind = 'e' AND order_id = ?`,
    [logs, orderId], { prepare: true, fetchSize: 10_000, consistency: cassandra.types.consistencies.quorum },
  );
  return rs.rows
    .map(toRow)
    .sort((a, b) => a.seq - b.seq);
}

/** Every order with at least one event in a shard log. */
export async function orderLogOrderIds(client: Client, keyspace: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const logId of await logIds(client, keyspace)) {
    let pageState: string | undefined;
    do {
      const rs = await client.execute(`SELECT order_id FROM ${keyspace}.order_log WHERE log_id = ? AND kind = 'e'`, [logId], { prepare: true, fetchSize: 5_000, pageState });
      for (const r of rs.rows) ids.add(r.order_id as string);
      pageState = rs.pageState ?? undefined;
    } while (pageState);
  }
  return ids;
}

async function logIds(client: Client, keyspace: string): Promise<string[]> {
  const rs = await client.execute(`SELECT DISTINCT log_id FROM ${keyspace}.order_log`, [], { prepare: true, fetchSize: 10_000 });
  return rs.rows.map((r) => r.log_id as string);
}
