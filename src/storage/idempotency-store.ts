import cassandra, { type Client } from 'cassandra-driver';
import { TransientError } from '../domain/errors.js';
import { noCounters, type StorageCounters } from './storage-counters.js';

/** What a key's first request came to; replayed to every later request with the same key. */
export type KeyOutcome =
  | { kind: 'accepted'; orderId: string; totalMinor: number; currency: string }
  | { kind: 'rejected'; reason: string; error: string };

export type Reservation =
  /** This request holds the key now: go on and record the outcome. */
  | { kind: 'reserved'; reservedAt: number }
  /** Another request holds it: `outcome` is undefined while that one is still running. */
  | { kind: 'taken'; orderId: string; requestHash: string; outcome?: KeyOutcome; /** When the holder reserved (or took over) the key. */ reservedAt: number };

export interface IdempotencyStore {
  reserve(consumerId: string, key: string, requestHash: string, orderId: string): Promise<Reservation>;
  /**
   * Records the outcome; it expires with the key (`reservedAt` from `reserve`). The edge records
   * rejections only (an accepted order is its own outcome); builds before 2026-12-02 also
   * recorded acceptances, which are still replayed.
   */
  complete(consumerId: string, key: string, outcome: KeyOutcome, reservedAt: number): Promise<void>;
  /** Frees a key whose request failed for a passing reason, so a retry runs anew. */
  release(consumerId: string, key: string): Promise<void>;
  read(consumerId: string, key: string): Promise<Reservation | undefined>;
  /**
   * Takes over a reservation whose request died before recording an outcome (its node crashed),
   * if the row is still as read: same `reservedAt`, no outcome. The order id stays, so an order
   * the dead request may already have queued is the very one the new request places again.
   * Returns the new reservedAt, or undefined if another request got there first.
   */
  takeOver(consumerId: string, key: string, requestHash: string, orderId: string, staleReservedAt: number): Promise<number | undefined>;
  /**
   * Marks a reservation whose request stopped after it may have queued its order (a Kafka send
   * whose outcome is unknown) as free to take over at once: a retry then keeps its order id and
   * converges on that order, instead of waiting out the stale period. Best effort: if it fails,
   * the reservation simply goes stale later.
   */
  abandon(consumerId: string, key: string, reservedAt: number): Promise<void>;
  /**
   * Gives a key whose request was rejected before any order existed to a different request, if
   * the rejected one is still the row's (same hash and reservedAt). Returns the new reservedAt,
   * or undefined if another request changed the row first.
   */
  replaceRejected(consumerId: string, key: string, rejected: { requestHash: string; reservedAt: number }, requestHash: string, orderId: string): Promise<number | undefined>;
}

/** The reservedAt of an abandoned reservation: older than any stale period. */
export const ABANDONED_AT = 0;

/**
 * Idempotency keys scoped to the consumer, in Cassandra: a conditional insert reserves a key for
 * exactly one request (with its hash), and the key expires after `ttlSeconds` (24 h by default,
 * as Stripe's do), after which the same key starts anew.
 */
export function createIdempotencyStore(opts: { client: Client; keyspace: string; ttlSeconds: number; counters?: StorageCounters; clock?: () => number }): IdempotencyStore {
  const { client, keyspace: ks, ttlSeconds } = opts;
  const counters = opts.counters ?? noCounters;
  const clock = opts.clock ?? Date.now;
  const { consistencies } = cassandra.types;
  const lwt = { prepare: true, consistency: consistencies.quorum, serialConsistency: consistencies.serial };
  const plain = { prepare: true, consistency: consistencies.quorum };

  const toReservation = (row: cassandra.types.Row): Reservation => ({
    kind: 'taken',
    orderId: row.order_id as string,
    requestHash: row.request_hash as string,
    reservedAt: Number(row.created_at ?? 0),
    ...(row.outcome ? { outcome: JSON.parse(row.outcome as string) as KeyOutcome } : {}),
  });

  // A storage failure is a passing one for the caller: UNAVAILABLE with RetryInfo, never INTERNAL.
  const transient = <A extends unknown[], R>(what: string, fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } catch (err) {
      throw new TransientError(`idempotency store ${what} failed: ${(err as Error).message}`, err);
    }
  };

  return {
    reserve: transient('reserve', async (consumerId: string, key: string, requestHash: string, orderId: string): Promise<Reservation> => {
      counters.count('lwt', 'idempotency_keys');
      const reservedAt = clock();
      const rs = await client.execute(
        `INSERT INTO ${ks}.idempotency_keys (consumer_id, idempotency_key, request_hash, order_id, created_at) VALUES (?, ?, ?, ?, ?) IF NOT EXISTS USING TTL ${ttlSeconds}`,
        [consumerId, key, requestHash, orderId, BigInt(reservedAt)], lwt);
      if (rs.wasApplied()) return { kind: 'reserved', reservedAt };
      return toReservation(rs.first());
    }),
    complete: transient('complete', async (consumerId: string, key: string, outcome: KeyOutcome, reservedAt: number): Promise<void> => {
      counters.count('write', 'idempotency_keys');
      // The outcome must die with the row's other cells, or an expired key would linger half-alive.
      const remaining = Math.max(1, ttlSeconds - Math.floor((clock() - reservedAt) / 1000));
      await client.execute(
        `UPDATE ${ks}.idempotency_keys USING TTL ${remaining} SET outcome = ? WHERE consumer_id = ? AND idempotency_key = ?`,
        [JSON.stringify(outcome), consumerId, key], plain);
    }),
    release: transient('release', async (consumerId: string, key: string): Promise<void> => {
      counters.count('write', 'idempotency_keys');
      await client.execute(`DELETE FROM ${ks}.idempotency_keys WHERE consumer_id = ? AND idempotency_key = ?`, [consumerId, key], plain);
    }),
    read: transient('read', async (consumerId: string, key: string): Promise<Reservation | undefined> => {
      counters.count('read', 'idempotency_keys');
      const rs = await client.execute(`SELECT request_hash, order_id, outcome, created_at FROM ${ks}.idempotency_keys WHERE consumer_id = ? AND idempotency_key = ?`,
        [consumerId, key], { ...plain, consistency: consistencies.serial });
      const row = rs.first();
      return row ? toReservation(row) : undefined;
    }),
    takeOver: transient('take over', async (consumerId: string, key: string, requestHash: string, orderId: string, staleReservedAt: number): Promise<number | undefined> => {
      counters.count('lwt', 'idempotency_keys');
      const reservedAt = clock();
      // Every cell is rewritten with a fresh TTL, so the row stays whole until it expires.
      const rs = await client.execute(
        `UPDATE ${ks}.idempotency_keys USING TTL ${ttlSeconds} SET request_hash = ?, order_id = ?, created_at = ? WHERE consumer_id = ? AND idempotency_key = ? IF created_at = ? AND outcome = null`,
        [requestHash, orderId, BigInt(reservedAt), consumerId, key, BigInt(staleReservedAt)], lwt);
      return rs.wasApplied() ? reservedAt : undefined;
    }),
    abandon: transient('abandon', async (consumerId: string, key: string, reservedAt: number): Promise<void> => {
      counters.count('lwt', 'idempotency_keys');
      const remaining = Math.max(1, ttlSeconds - Math.floor((clock() - reservedAt) / 1000));
      await client.execute(
        `UPDATE ${ks}.idempotency_keys USING TTL ${remaining} SET created_at = ? WHERE consumer_id = ? AND idempotency_key = ? IF created_at = ? AND outcome = null`,
        [BigInt(ABANDONED_AT), consumerId, key, BigInt(reservedAt)], lwt);
    }),
    replaceRejected: transient('replace a rejection', async (consumerId: string, key: string, rejected: { requestHash: string; reservedAt: number }, requestHash: string, orderId: string): Promise<number | undefined> => {
      counters.count('lwt', 'idempotency_keys');
      const reservedAt = clock();
      // The rejected request's outcome goes with it: the row is the new request's, whole, with a fresh TTL.
      const rs = await client.execute(
        `UPDATE ${ks}.idempotency_keys USING TTL ${ttlSeconds} SET request_hash = ?, order_id = ?, created_at = ?, outcome = null WHERE consumer_id = ? AND idempotency_key = ? IF request_hash = ? AND created_at = ?`,
        [requestHash, orderId, BigInt(reservedAt), consumerId, key, rejected.requestHash, BigInt(rejected.reservedAt)], lwt);
      return rs.wasApplied() ? reservedAt : undefined;
    }),
  };
}
