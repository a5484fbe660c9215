import cassandra, { type Client } from 'cassandra-driver';
import { readOrderLogRows } from './order-log-rows.js';
import { fencedJournalRows } from './fenced-rows.js';

/** One journal row as stored: the event still encoded (its codec lives with the actors). */
export interface StoredJournalRow {
  seq: number;
  eventType: string;
  schemaVersion: number;
  payload: string;
  createdAt: number;
  /** The node that appended the row. */
  writer: string;
}

export interface JournalReadOptions {
  /** Only rows with seq > afterSeq (default: all). */
  afterSeq?: number;
  pageSize?: number;
  /** Called once per page fetched (the storage counters count reads with it). */
  onPage?: () => void;
}

/**
 * The one reader of an order's journal: every row in sequence order, fetched page by page, so
 * a long journal never has to fit one response (the engine's recovery, the dashboard's timeline
 * and the checks that trust only Cassandra all read through here).
 */
export async function* readJournal(client: Client, keyspace: string, orderId: string, opts: JournalReadOptions = {}): AsyncGenerator<StoredJournalRow> {
  const cql = `SELECT seq, event_type, schema_version, payload, created_at, writer FROM ${keyspace}.journal WHERE order_id = ? AND seq > ?`;
  let pageState: string | undefined;
  do {
    opts.onPage?.();
    const rs = await client.execute(cql, [orderId, BigInt(opts.afterSeq ?? 0)], {
      prepare: true, fetchSize: opts.pageSize ?? 500, pageState, consistency: cassandra.types.consistencies.quorum,
    });
    for (const r of rs.rows) {
      yield {
        seq: Number(r.seq), eventType: r.event_type as string, schemaVersion: r.schema_version as number,
        payload: r.payload as string, createdAt: Number(r.created_at), writer: (r.writer as string | null) ?? '',
      };
    }
    pageState = rs.pageState ?? undefined;
  } while (pageState);
}

/**
 * Every row of an order's journal (none for an order never placed): the per-order journal, or,
 * for an order written with JOURNAL_MODE=fenced, its history in `fenced_journal`, or, for one
 * written with JOURNAL_MODE=group, its slice of its shard's log.
 */
export async function journalRows(client: Client, keyspace: string, orderId: string, opts: JournalReadOptions = {}): Promise<StoredJournalRow[]> {
  const rows: StoredJournalRow[] = [];
  for await (const row of readJournal(client, keyspace, orderId, opts)) rows.push(row);
  if (rows.length) return rows;
  const fenced = await fencedJournalRows(client, keyspace, orderId, opts.afterSeq ?? 0);
  if (fenced.length) return fenced;
  return (await readOrderLogRows(client, keyspace, orderId)).filter((r) => r.seq > (opts.afterSeq ?? 0));
}
