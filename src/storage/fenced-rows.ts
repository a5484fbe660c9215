import cassandra, { type Client } from 'cassandra-driver';
import type { StoredJournalRow } from './journal-reader.js';

/** A row of `fenced_journal` (or a snapshot of `fenced_snapshots`): its position and the writer generation that wrote it. */
export interface FencedPosition { seq: number; gen: number }

export interface FencedRow extends StoredJournalRow { gen: number }

/** What one read of an order's fenced journal returns: the partition's statics and every row. */
export interface FencedJournal {
  /** The generation allowed to append now (unset: no journal yet). */
  ownerGen?: number;
  /** For each generation after the first: the position its appends start at (recorded by its recovery). */
  bases: Map<number, number>;
  rows: FencedRow[];
  /**
   * The generation allowed to append has recorded its base (or is the first): the rows can be
   * judged. Between a recovery's raise and its base they cannot: an older generation's row that
   * landed after the recovery's read looks like history until the base excludes it.
   */
  settled: boolean;
}

/**
 * Which rows of a fenced journal are the order's history. A generation's recovery records the
 * position its own appends start at (its base); a row written by an earlier generation at or past
 * that base was written after the recovery read the journal — a stale writer's append, refused by
 * its fence read, that landed anyway — and is not part of the history. Every other row is.
 */
export function isValidPosition(pos: FencedPosition, bases: ReadonlyMap<number, number>): boolean {
  for (const [gen, base] of bases) if (gen > pos.gen && pos.seq >= base) return false;
  return true;
}

/**
 * The order's history: the valid rows, one per position, in order. Two valid rows at one position,
 * or a gap, would mean the fencing broke: that is thrown, never papered over.
 */
export function validRows<R extends FencedPosition>(rows: readonly R[], bases: ReadonlyMap<number, number>, afterSeq = 0): R[] {
  const valid = rows.filter((r) => r.seq > afterSeq && isValidPosition(r, bases)).sort((a, b) => a.seq - b.seq);
  valid.forEach((r, i) => {
    if (r.seq !== afterSeq + i + 1) throw new Error(`fenced journal broken: position ${afterSeq + i + 1} expected, found ${r.seq} (gen ${r.gen})`);
  });
  return valid;
}

const { consistencies } = cassandra.types;

/**
 * One read of an order's whole fenced journal, statics and rows together (an order holds a few
 * dozen rows at most): the bases and the rows come from the same read, so a row is never seen
 * without the base that judges it.
 */
export async function readFencedJournal(client: Client, keyspace: string, orderId: string): Promise<FencedJournal> {
  const rs = await client.execute(
    `SELECT owner_gen, gen_bases, seq, gen, event_type, schema_version, payload, created_at, writer FROM ${keyspace}.fenced_journal WHERE order_id = ?`,
    [orderId], { prepare: true, fetchSize: 10_000, consistency: consistencies.quorum },
  );
  const first = rs.first();
  const bases = new Map<number, number>();
  const stored = (first?.get('gen_bases') ?? {}) as Record<string, bigint | number>;
  for (const [gen, base] of Object.entries(stored)) bases.set(Number(gen), Number(base));
  const owner = first?.get('owner_gen');
  const ownerGen = owner === null || owner === undefined ? undefined : Number(owner);
  return {
    ...(ownerGen === undefined ? {} : { ownerGen }),
    bases,
    settled: ownerGen === undefined || ownerGen === 1 || bases.has(ownerGen),
    // A partition holding only statics answers one row with no position: not an event.
    rows: rs.rows.filter((r) => r.get('seq') !== null).map((r) => ({
      seq: Number(r.get('seq')), gen: Number(r.get('gen')), eventType: r.get('event_type') as string, schemaVersion: r.get('schema_version') as number,
      payload: r.get('payload') as string, createdAt: Number(r.get('created_at')), writer: (r.get('writer') as string | null) ?? '',
    })),
  };
}

/**
 * For a reader that does not take the order: the journal once it is settled. A recovery records its
 * base right after its read (milliseconds), so the read is tried again for a while; a journal still
 * unsettled after that (its recovery died half way; the next one settles it) is an error, never
 * an answer.
 */
export async function readSettledFencedJournal(client: Client, keyspace: string, orderId: string, opts: { attempts?: number; delayMs?: number } = {}): Promise<FencedJournal> {
  const attempts = opts.attempts ?? 20;
  for (let attempt = 1; ; attempt++) {
    const journal = await readFencedJournal(client, keyspace, orderId);
    if (journal.settled) return journal;
    if (attempt >= attempts) throw new Error(`journal of ${orderId} is being taken over (generation ${journal.ownerGen} has no base yet)`);
    await new Promise((r) => setTimeout(r, opts.delayMs ?? 25));
  }
}

/** The order's history in a fenced journal, as every reader sees it (empty: no such order there). */
export async function fencedJournalRows(client: Client, keyspace: string, orderId: string, afterSeq = 0): Promise<StoredJournalRow[]> {
  const journal = await readSettledFencedJournal(client, keyspace, orderId);
  return validRows(journal.rows, journal.bases, afterSeq).map(({ gen: _gen, ...row }) => row);
}
