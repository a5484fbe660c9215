import cassandra from 'cassandra-driver';
import type { StoredEvent, StoredSnapshot } from './persistence-engine.js';
import { JournalConflictError, TransientError } from '../domain/errors.js';
import { createEmptyGuesses, noEvents } from './empty-guesses.js';
import { createCassandraPersistenceEngine, type CassandraEngineOptions, type CassandraPersistenceEngine } from './cassandra-persistence-engine.js';
import { readJournal } from './journal-reader.js';
import { isValidPosition, readFencedJournal, readSettledFencedJournal, validRows, type FencedJournal } from './fenced-rows.js';
import { noCounters } from './storage-counters.js';

export interface FencedJournalEngineOptions extends CassandraEngineOptions {
  /**
   * true (the order actors' engine): a recovery takes the order's journal for this writer (a new
   * generation) before it reads. false: reads only, for a node that looks at an order it does not
   * run (GetOrder), which must never fence the order's real owner.
   */
  fence: boolean;
  /** Orders whose generation this engine remembers at most (the oldest is forgotten first; its next append is refused and the order recovers). Default 50 000. */
  maxHeld?: number;
}

/** The generation this engine appends an order under, and the position its next append must have. */
interface Held { gen: number; next: number }

const { consistencies } = cassandra.types;
const lwt = { prepare: true, consistency: consistencies.quorum, serialConsistency: consistencies.serial };
const quorum = { prepare: true, consistency: consistencies.quorum };

/**
 * JOURNAL_MODE=fenced: nact's persistence engine with one Paxos round per order instead of one per
 * event. The journal (`fenced_journal`) is per order, as in the `lwt` engine, but only the first
 * event is conditional (`IF NOT EXISTS`, which also makes its writer generation 1 the order's
 * owner). Every later event is a plain insert followed by a read of the order's static owner
 * generation (the fence read); the append is acknowledged only if that is still the writer's own.
 *
 * A recovery takes the order first: one LWT raises the owner generation, then one read returns the
 * rows and the bases together, and the recovery records its own base (the position its appends
 * start at) before anything is appended. Why a stale writer cannot make an append count:
 * - its plain insert completed before its fence read; if that read saw its own generation, the
 *   raise had not completed yet, so the new owner's read (after the raise) sees the row: it is
 *   history, and the new owner continues after it;
 * - if the fence read saw a newer generation, the append is refused (the actor stops before any
 *   side effect that would depend on it); the row may still land, but at or past the new owner's
 *   base, where every reader ignores it (`fenced-rows.ts`). Rows are keyed by (seq, gen), so a
 *   late row never overwrites the new owner's row at the same position.
 * Snapshots carry their generation too and are judged by the same rule.
 *
 * An order journaled in the `lwt` layout (`journal`, before the cluster switched modes) stays there:
 * a recovery that finds no fenced journal but rows in `journal` hands the order to the `lwt` engine,
 * whose conditional appends keep it one history.
 */
export function createFencedJournalEngine(opts: FencedJournalEngineOptions): CassandraPersistenceEngine {
  const { client, keyspace: ks, codec } = opts;
  const counters = opts.counters ?? noCounters;
  const snapshotVersion = opts.snapshotVersion ?? 1;
  const maxHeld = opts.maxHeld ?? 50_000;
  const cql = {
    first: `INSERT INTO ${ks}.fenced_journal (order_id, seq, gen, event_type, schema_version, payload, created_at, writer, owner_gen) VALUES (?, 1, 1, ?, ?, ?, ?, ?, 1) IF NOT EXISTS`,
    append: `INSERT INTO ${ks}.fenced_journal (order_id, seq, gen, event_type, schema_version, payload, created_at, writer) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    owner: `SELECT owner_gen FROM ${ks}.fenced_journal WHERE order_id = ? LIMIT 1`,
    raise: `UPDATE ${ks}.fenced_journal SET owner_gen = ? WHERE order_id = ? IF owner_gen = ?`,
    base: `UPDATE ${ks}.fenced_journal SET gen_bases[?] = ? WHERE order_id = ?`,
    snapshots: `SELECT seq, gen, schema_version, state, created_at FROM ${ks}.fenced_snapshots WHERE order_id = ?`,
    snapshot: `INSERT INTO ${ks}.fenced_snapshots (order_id, seq, gen, schema_version, state, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
  };
  const guesses = createEmptyGuesses();
  const held = new Map<string, Held>();
  /** Orders whose history is in the `lwt` layout's `journal`: served by that engine, end to end. */
  const lwtEngine = createCassandraPersistenceEngine(opts);
  const legacy = new Set<string>();
  /** A recovery's read, between its snapshot read and its events read (nact calls them in that order). */
  const recovering = new Map<string, { journal: FencedJournal; gen?: number }>();

  const hold = (key: string, h: Held) => {
    held.delete(key);
    held.set(key, h);
    if (held.size > maxHeld) held.delete(held.keys().next().value as string);
  };

  const transient = (what: string, key: string, e: unknown) => new TransientError(`${what} ${key} failed: ${(e as Error).message}`, e);

  /** Raises the order's owner generation past every earlier one; resolves with it (unset: no journal to take). */
  const raise = async (key: string): Promise<number | undefined> => {
    counters.count('read', 'fenced_journal');
    const seen = (await client.execute(cql.owner, [key], quorum)).first();
    if (!seen) return undefined; // no journal: the first append (conditional) decides who writes it
    let gen = Number(seen.get('owner_gen') ?? 1);
    for (;;) {
      counters.count('lwt', 'fenced_journal');
      const rs = await client.execute(cql.raise, [gen + 1, key, gen], lwt);
      if (rs.wasApplied()) return gen + 1;
      const current = rs.first()?.get('owner_gen');
      if (current === null || current === undefined) throw new Error(`journal of ${key} has no owner generation`);
      gen = Number(current); // another recovery went first: outbid it
    }
  };

  /** Fences (if this engine does) and reads the whole journal once. */
  const takeAndRead = async (key: string) => {
    try {
      const gen = opts.fence ? await raise(key) : undefined;
      counters.count('read', 'fenced_journal');
      // Taking the order: its own raise left the journal unsettled until its base. Only reading: wait for settled.
      const journal = opts.fence ? await readFencedJournal(client, ks, key) : await readSettledFencedJournal(client, ks, key);
      return { journal, ...(gen === undefined ? {} : { gen }) };
    } catch (e) {
      throw transient('recovery of', key, e);
    }
  };

  /**
   * Whether the `lwt` layout's table holds anything at all, asked once: a cluster that never ran
   * in `lwt` mode pays no read per order for the check below.
   */
  let lwtTableUsed: Promise<boolean> | undefined;
  const lwtTableInUse = () => {
    lwtTableUsed ??= client.execute(`SELECT order_id FROM ${ks}.journal LIMIT 1`, [], quorum).then((rs) => rs.rowLength > 0, (e: unknown) => {
      lwtTableUsed = undefined;
      throw transient('looking for the lwt journal of', ks, e);
    });
    return lwtTableUsed;
  };

  /** No fenced journal: is the order's history in the `lwt` layout's table? */
  const inLwtJournal = async (key: string): Promise<boolean> => {
    if (!(await lwtTableInUse())) return false;
    try {
      for await (const _row of readJournal(client, ks, key, { pageSize: 1, onPage: () => counters.count('read', 'journal') })) return true;
      return false;
    } catch (e) {
      throw transient('recovery of', key, e);
    }
  };

  return {
    assumeEmpty: (key) => guesses.assume(key),

    async latestSnapshot(key: string): Promise<StoredSnapshot | undefined> {
      if (guesses.has(key)) return undefined;
      held.delete(key);
      const read = await takeAndRead(key);
      if (read.journal.rows.length === 0 && (legacy.has(key) || (await inLwtJournal(key)))) {
        legacy.add(key);
        return lwtEngine.latestSnapshot(key);
      }
      legacy.delete(key);
      recovering.set(key, read);
      if (read.journal.rows.length === 0) return undefined;
      counters.count('read', 'fenced_snapshots');
      const rs = await client.execute(cql.snapshots, [key], { ...quorum, fetchSize: 100 });
      for (const row of rs.rows) {
        const pos = { seq: Number(row.get('seq')), gen: Number(row.get('gen')) };
        if (row.get('schema_version') !== snapshotVersion || !isValidPosition(pos, read.journal.bases)) continue;
        return { data: JSON.parse(row.get('state') as string), sequenceNumber: pos.seq, key, createdAt: Number(row.get('created_at')) };
      }
      return undefined;
    },

    events(key: string, offset: number) {
      if (guesses.take(key)) return noEvents;
      if (legacy.has(key)) return lwtEngine.events(key, offset);
      return {
        async reduce<U>(cb: (acc: U, e: StoredEvent, index: number) => U, init: U): Promise<U> {
          const read = recovering.get(key) ?? (await takeAndRead(key));
          recovering.delete(key);
          let acc = init;
          let last = offset;
          validRows(read.journal.rows, read.journal.bases, offset).forEach((row, index) => {
            last = row.seq;
            acc = cb(acc, { data: codec.decode(row.eventType, row.schemaVersion, row.payload), sequenceNumber: row.seq, key, createdAt: row.createdAt, isDeleted: false, tags: [] }, index);
          });
          if (read.gen !== undefined) {
            // Before any append of this generation: rows of older ones from here on are not history.
            try {
              counters.count('write', 'fenced_journal');
              await client.execute(cql.base, [read.gen, BigInt(last + 1), key], quorum);
            } catch (e) {
              throw transient('recording the base of', key, e);
            }
            hold(key, { gen: read.gen, next: last + 1 });
          }
          return acc;
        },
      };
    },

    async persist(event: StoredEvent): Promise<void> {
      const key = event.key;
      const seq = event.sequenceNumber;
      if (legacy.has(key)) return lwtEngine.persist(event);
      const { type, version, payload } = codec.encode(event.data);
      const mine = held.get(key);
      if (!mine && seq === 1) {
        // Guessed new (no recovery read): an order of the `lwt` layout must not get a second history here.
        if (await inLwtJournal(key)) {
          legacy.add(key);
          throw new JournalConflictError(key, 1);
        }
        counters.count('lwt', 'fenced_journal');
        let applied: boolean;
        try {
          applied = (await client.execute(cql.first, [key, type, version, payload, BigInt(event.createdAt), opts.writerId], { ...lwt, isIdempotent: false })).wasApplied();
        } catch (e) {
          throw transient('journal append', `${key}#1`, e); // unknown outcome: the actor recovers (and fences) to find out
        }
        if (!applied) throw new JournalConflictError(key, 1);
        hold(key, { gen: 1, next: 2 });
        return;
      }
      // Not this writer's order (never taken, or forgotten), or a position already used: recover instead.
      if (!mine || seq !== mine.next) throw new JournalConflictError(key, seq);
      mine.next += 1;
      let owner: number;
      try {
        counters.count('write', 'fenced_journal');
        await client.execute(cql.append, [key, BigInt(seq), mine.gen, type, version, payload, BigInt(event.createdAt), opts.writerId], { ...quorum, isIdempotent: true });
        counters.count('read', 'fenced_journal');
        owner = Number((await client.execute(cql.owner, [key], quorum)).first()?.get('owner_gen'));
      } catch (e) {
        if (held.get(key) === mine) held.delete(key);
        throw transient('journal append', `${key}#${seq}`, e);
      }
      if (owner !== mine.gen) {
        if (held.get(key) === mine) held.delete(key);
        throw new JournalConflictError(key, seq);
      }
    },

    async takeSnapshot(snapshot: StoredSnapshot): Promise<void> {
      if (legacy.has(snapshot.key)) return lwtEngine.takeSnapshot(snapshot);
      const mine = held.get(snapshot.key);
      if (!mine) return; // not (or no longer) this writer's order: a snapshot is only ever an optimisation
      counters.count('write', 'fenced_snapshots');
      await client.execute(cql.snapshot, [snapshot.key, BigInt(snapshot.sequenceNumber), mine.gen, snapshotVersion, JSON.stringify(snapshot.data), BigInt(snapshot.createdAt)], quorum);
    },
  };
}
