import cassandra, { type Client } from 'cassandra-driver';
import type { PersistenceEngine, StoredEvent, StoredSnapshot } from './persistence-engine.js';
import { JournalConflictError, TransientError } from '../domain/errors.js';
import { createEmptyGuesses, noEvents } from './empty-guesses.js';
import { readJournal } from './journal-reader.js';
import { noCounters, type StorageCounters } from './storage-counters.js';

/** How event data becomes a row: its type and schema version in columns, the body as JSON. */
export interface EventCodec {
  encode(data: unknown): { type: string; version: number; payload: string };
  decode(type: string, version: number, payload: string): unknown;
}

export interface CassandraEngineOptions {
  client: Client;
  keyspace: string;
  /** Written into every event row: which node appended it (the order's timeline shows it). */
  writerId: string;
  codec: EventCodec;
  snapshotVersion?: number;
  pageSize?: number;
  counters?: StorageCounters;
}

const { consistencies } = cassandra.types;

/**
 * nact's persistence engine over Cassandra. Every append is `INSERT … IF NOT EXISTS` on
 * (order_id, seq): two writers of one order can never both write a position, so the journal is
 * one linear history, and a stale writer's next append fails, which stops it before its next
 * side effect (each step's outcome is persisted before the next step runs).
 */
export interface CassandraPersistenceEngine extends PersistenceEngine {
  /**
   * The next recovery of `key` skips its reads and starts empty: for an order being placed, whose
   * journal is empty. If that guess is wrong, the first append conflicts and the actor is revived
   * with a real recovery, so the guess costs correctness nothing and saves two reads per order.
   * Returns how to withdraw the guess: an actor stopped before its recovery read must not leave
   * it to the order's next actor, which would start empty over a journal that is not.
   */
  assumeEmpty(key: string): () => void;
}

export function createCassandraPersistenceEngine(opts: CassandraEngineOptions): CassandraPersistenceEngine {
  const { client, keyspace: ks, codec } = opts;
  const counters = opts.counters ?? noCounters;
  const pageSize = opts.pageSize ?? 500;
  const snapshotVersion = opts.snapshotVersion ?? 1;
  const appendCql = `INSERT INTO ${ks}.journal (order_id, seq, event_type, schema_version, payload, created_at, writer) VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`;
  const snapshotReadCql = `SELECT seq, schema_version, state, created_at FROM ${ks}.snapshots WHERE order_id = ? LIMIT 1`;
  const snapshotWriteCql = `INSERT INTO ${ks}.snapshots (order_id, seq, schema_version, state, created_at) VALUES (?, ?, ?, ?, ?)`;

  const guesses = createEmptyGuesses();

  return {
    assumeEmpty: (key) => guesses.assume(key),

    async persist(event: StoredEvent): Promise<void> {
      const { type, version, payload } = codec.encode(event.data);
      counters.count('lwt', 'journal');
      let applied: boolean;
      try {
        const rs = await client.execute(
          appendCql,
          [event.key, BigInt(event.sequenceNumber), type, version, payload, BigInt(event.createdAt), opts.writerId],
          { prepare: true, consistency: consistencies.quorum, serialConsistency: consistencies.serial, isIdempotent: false },
        );
        applied = rs.wasApplied();
      } catch (e) {
        // A timed-out Paxos round may or may not have applied: the actor recovers from the journal to find out.
        throw new TransientError(`journal append ${event.key}#${event.sequenceNumber} failed: ${(e as Error).message}`, e);
      }
      if (!applied) throw new JournalConflictError(event.key, event.sequenceNumber);
    },

    events(key: string, offset: number) {
      if (guesses.take(key)) return noEvents;
      return {
        async reduce<U>(cb: (acc: U, e: StoredEvent, index: number) => U, init: U): Promise<U> {
          let acc = init;
          let index = 0;
          const onPage = () => counters.count('read', 'journal');
          for await (const row of readJournal(client, ks, key, { afterSeq: offset, pageSize, onPage })) {
            const data = codec.decode(row.eventType, row.schemaVersion, row.payload);
            acc = cb(acc, { data, sequenceNumber: row.seq, key, createdAt: row.createdAt, isDeleted: false, tags: [] }, index++);
          }
          return acc;
        },
      };
    },

    async latestSnapshot(key: string): Promise<StoredSnapshot | undefined> {
      if (guesses.has(key)) return undefined;
      counters.count('read', 'snapshots');
      const rs = await client.execute(snapshotReadCql, [key], { prepare: true, consistency: consistencies.quorum });
      const row = rs.first();
      if (!row) return undefined;
      if (row.schema_version !== snapshotVersion) return undefined; // an old shape: replay the journal instead
      return { data: JSON.parse(row.state as string), sequenceNumber: Number(row.seq), key, createdAt: Number(row.created_at) };
    },

    async takeSnapshot(snapshot: StoredSnapshot): Promise<void> {
      counters.count('write', 'snapshots');
      await client.execute(
        snapshotWriteCql,
        [snapshot.key, BigInt(snapshot.sequenceNumber), snapshotVersion, JSON.stringify(snapshot.data), BigInt(snapshot.createdAt)],
        { prepare: true, consistency: consistencies.quorum },
      );
    },
  };
}
