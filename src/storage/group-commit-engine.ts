import type { StoredEvent } from './persistence-engine.js';
import { createEmptyGuesses, noEvents } from './empty-guesses.js';
import { readOrderLog } from './order-log-rows.js';
import { createCassandraPersistenceEngine, type CassandraEngineOptions, type CassandraPersistenceEngine } from './cassandra-persistence-engine.js';
import { createShardLog, type ShardLog } from './shard-log.js';
import { noCounters } from './storage-counters.js';

export interface GroupCommitEngineOptions extends CassandraEngineOptions {
  /** The log (shard partition) an order's events go to: its pool and shard, e.g. `main/3`. */
  logOf(orderId: string): string;
  maxBatch?: number;
  /** Flushes in flight at once over all of this node's logs (default: one per log, no limit). */
  flushesInFlight?: number;
}

/** The persistence engine over shard logs, and the logs themselves (claimed as shards arrive). */
export interface GroupCommitEngine extends CassandraPersistenceEngine {
  log(logId: string): ShardLog;
  /** Refuses everything queued on every log (the node is stopping). */
  releaseAll(): void;
}

/**
 * nact's persistence engine with group commit: an order's events go to its shard's log
 * (`shard-log.ts`), many orders' events in one conditional batch fenced by the shard owner's
 * epoch. Recovery reads the order's rows inside its shard's partition, after the newest snapshot,
 * and only once this node's claim of the shard holds. Snapshots stay in `snapshots`, per order.
 */
export function createGroupCommitEngine(opts: GroupCommitEngineOptions): GroupCommitEngine {
  const { client, keyspace: ks, codec } = opts;
  const counters = opts.counters ?? noCounters;
  const pageSize = opts.pageSize ?? 500;
  // Snapshots are per order, as in the LWT engine: reuse it for them rather than write them twice.
  const snapshots = createCassandraPersistenceEngine(opts);
  const logs = new Map<string, ShardLog>();
  const guesses = createEmptyGuesses();

  const turn = opts.flushesInFlight ? createTurns(opts.flushesInFlight) : undefined;
  const log = (logId: string): ShardLog => {
    let found = logs.get(logId);
    if (!found) {
      found = createShardLog({ client, keyspace: ks, logId, writerId: opts.writerId, counters, maxBatch: opts.maxBatch, turn });
      logs.set(logId, found);
    }
    return found;
  };

  return {
    log,
    releaseAll: () => { for (const l of logs.values()) l.release(); },
    assumeEmpty: (key) => guesses.assume(key),

    persist(event: StoredEvent): Promise<void> {
      const { type, version, payload } = codec.encode(event.data);
      return log(opts.logOf(event.key)).append({ orderId: event.key, seq: event.sequenceNumber, type, version, payload, createdAt: event.createdAt });
    },

    events(key: string, offset: number) {
      if (guesses.take(key)) return noEvents;
      return {
        async reduce<U>(cb: (acc: U, e: StoredEvent, index: number) => U, init: U): Promise<U> {
          const logId = opts.logOf(key);
          // A shard this node holds is read only after its claim: then nothing older can still land.
          const note = await log(logId).recoveryRead();
          let acc = init;
          let index = 0;
          let last = offset;
          const onPage = () => counters.count('read', 'order_log');
          for await (const row of readOrderLog(client, ks, logId, key, { afterSeq: offset, pageSize, onPage })) {
            last = row.seq;
            acc = cb(acc, { data: codec.decode(row.eventType, row.schemaVersion, row.payload), sequenceNumber: row.seq, key, createdAt: row.createdAt, isDeleted: false, tags: [] }, index++);
          }
          note(key, last);
          return acc;
        },
      };
    },

    latestSnapshot: (key) => (guesses.has(key) ? Promise.resolve(undefined) : snapshots.latestSnapshot(key)),
    takeSnapshot: (snapshot) => snapshots.takeSnapshot(snapshot),
  };
}

/** At most `n` holders at once, served in arrival order. */
function createTurns(n: number): () => Promise<() => void> {
  let free = n;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free += 1;
  };
  return () => {
    if (free > 0) {
      free -= 1;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => waiting.push(() => resolve(release)));
  };
}
