import cassandra, { type Client } from 'cassandra-driver';
import { JournalConflictError, TransientError } from '../domain/errors.js';
import { backoffDelay } from '../resilience/retry.js';
import { noCounters, type StorageCounters } from './storage-counters.js';

/** One journal event as a row of a shard's log. */
export interface LogEvent { orderId: string; seq: number; type: string; version: number; payload: string; createdAt: number }

/** What one flush may carry: events, and the markers of the shard's unfinished orders. */
export type LogWrite =
  | { kind: 'event'; event: LogEvent }
  | { kind: 'open'; orderId: string; placedAt: number }
  | { kind: 'close'; orderId: string };

export interface ShardLogOptions {
  client: Client;
  keyspace: string;
  logId: string;
  writerId: string;
  counters?: StorageCounters;
  /** Rows per conditional batch at most; the rest waits for the next flush. */
  maxBatch?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Waits for a turn among the node's logs before a flush takes its rows (resolves with the
   * turn's release). Fewer flushes in flight per node means each collects more: fewer Paxos rounds.
   */
  turn?: () => Promise<() => void>;
}

/**
 * The journal of one shard: a single Cassandra partition `order_log[log_id]` holding every event
 * of the shard's orders (clustered by order and seq), a marker row per unfinished order, and a
 * static `epoch` naming the shard's current writer.
 *
 * Fencing: `claim()` bumps the epoch with one LWT; every flush is one conditional batch
 * `… IF epoch = <claimed epoch>`. Paxos orders the bump against every flush on the partition, and
 * a bump also completes any flush that was accepted but not yet committed. So once a new owner's
 * claim returned, every flush of the previous owner either is already visible to its reads or is
 * refused: a stale writer can never add an event after the new owner read the log.
 *
 * Group commit: one flush in flight per log; what arrives meanwhile goes into the next flush.
 * A flush whose outcome is unknown (timeout, Cassandra down) is retried with the same rows until it
 * is applied or refused, never acknowledged before.
 */
export interface ShardLog {
  readonly logId: string;
  /** A claim is held or under way: writes are accepted. */
  claimed(): boolean;
  /** Takes the log for this writer (a new generation); resolves with the new epoch. */
  claim(): Promise<number>;
  /** Resolves once the current claim holds (reads of a claimed log wait for it). */
  ready(): Promise<void>;
  /** The shard left this node: queued writes are refused, the claim forgotten. */
  release(): void;
  /** Appends an order's event; refused (JournalConflictError) if it is not the order's next position. */
  append(event: LogEvent): Promise<void>;
  /** Adds or removes an unfinished-order marker; goes with the next flush. */
  mark(write: Extract<LogWrite, { kind: 'open' | 'close' }>): Promise<void>;
  /**
   * For a recovery read: waits for the claim, then returns how to record the position an order
   * was read up to. Recorded only if the claim is still the same generation; an order recorded
   * this way appends without the position check.
   */
  recoveryRead(): Promise<(orderId: string, lastSeq: number) => void>;
}

interface Claim { epoch?: number; established: Promise<number>; lastSeq: Map<string, number> }
interface Pending { write: LogWrite; claim: Claim; guarded: boolean; resolve(): void; reject(err: unknown): void }

const { consistencies } = cassandra.types;
const lwt = { prepare: true, consistency: consistencies.quorum, serialConsistency: consistencies.serial };
const retryBackoff = { initialMs: 50, maxMs: 2_000, multiplier: 2, jitter: 0.5 };

export function createShardLog(opts: ShardLogOptions): ShardLog {
  const { client, keyspace: ks, logId, writerId } = opts;
  const counters = opts.counters ?? noCounters;
  const maxBatch = opts.maxBatch ?? 200;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const cql = {
    create: `INSERT INTO ${ks}.order_log (log_id, epoch, owner) VALUES (?, ?, ?) IF NOT EXISTS`,
    bump: `UPDATE ${ks}.order_log SET epoch = ?, owner = ? WHERE log_id = ? IF epoch = ?`,
    fence: `UPDATE ${ks}.order_log SET owner = ? WHERE log_id = ? IF epoch = ?`,
    event: `INSERT INTO ${ks}.order_log (log_id, kind, order_id, seq, event_type, schema_version, payload, created_at, writer) VALUES (?, 'e', ?, ?, ?, ?, ?, ?, ?)`,
    open: `INSERT INTO ${ks}.order_log (log_id, kind, order_id, seq, created_at) VALUES (?, 'o', ?, 0, ?)`,
    close: `DELETE FROM ${ks}.order_log WHERE log_id = ? AND kind = 'o' AND order_id = ? AND seq = 0`,
  };

  let current: Claim | undefined;
  let queue: Pending[] = [];
  let flushing = false;

  /** One LWT when the log is new, else a bump from the epoch the refusal reported (two LWTs). */
  const takeEpoch = async (): Promise<number> => {
    for (let attempt = 1; ; attempt++) {
      try {
        counters.count('lwt', 'order_log');
        const created = await client.execute(cql.create, [logId, 1n, writerId], lwt);
        if (created.wasApplied()) return 1;
        let seen = Number(created.first().get('epoch') ?? 0);
        for (;;) {
          counters.count('lwt', 'order_log');
          const bumped = await client.execute(cql.bump, [BigInt(seen + 1), writerId, logId, BigInt(seen)], lwt);
          if (bumped.wasApplied()) return seen + 1;
          seen = Number(bumped.first().get('epoch') ?? 0); // another claimant went first: outbid it
        }
      } catch {
        await sleep(backoffDelay(attempt, retryBackoff)); // Cassandra away: the shard waits for it
      }
    }
  };

  const refuse = (items: Pending[], err: (p: Pending) => unknown) => { for (const p of items) p.reject(err(p)); };
  const conflictOf = (p: Pending) =>
    new JournalConflictError(p.write.kind === 'event' ? p.write.event.orderId : p.write.orderId, p.write.kind === 'event' ? p.write.event.seq : 0);

  const statement = (p: Pending): { query: string; params: unknown[] } => {
    const w = p.write;
    if (w.kind === 'open') return { query: cql.open, params: [logId, w.orderId, BigInt(w.placedAt)] };
    if (w.kind === 'close') return { query: cql.close, params: [logId, w.orderId] };
    const e = w.event;
    // An order this generation has not read: its position must still be free (a redelivered
    // command for an order that exists must not overwrite its journal).
    return { query: cql.event + (p.guarded ? ' IF NOT EXISTS' : ''), params: [logId, e.orderId, BigInt(e.seq), e.type, e.version, e.payload, BigInt(e.createdAt), writerId] };
  };

  /** Sends one batch until it is applied or refused; events whose position is taken are refused alone. */
  const flush = async (batch: Pending[], claim: Claim): Promise<void> => {
    let items = batch;
    for (let attempt = 1; items.length; ) {
      if (current !== claim) return refuse(items, conflictOf); // released or re-claimed meanwhile: not ours to write
      let rs: cassandra.types.ResultSet;
      try {
        counters.count('lwt', 'order_log');
        rs = await client.batch([{ query: cql.fence, params: [writerId, logId, BigInt(claim.epoch!)] }, ...items.map(statement)], { ...lwt, logged: true });
      } catch {
        // Unknown outcome: the same rows again (a guarded row we wrote ourselves is recognised below).
        await sleep(backoffDelay(attempt++, retryBackoff));
        continue;
      }
      if (rs.wasApplied()) {
        for (const p of items) p.resolve();
        return;
      }
      const rows = rs.rows;
      if (rows.length === 0 || Number(rows[0]!.get('epoch') ?? -1) !== claim.epoch) {
        // Another writer claimed the shard: nothing of this generation may be written any more.
        if (current === claim) current = undefined;
        refuse(items, conflictOf);
        const stale = queue.filter((p) => p.claim === claim);
        queue = queue.filter((p) => p.claim !== claim);
        return refuse(stale, conflictOf);
      }
      const taken = new Set<string>();
      let ours = 0;
      for (const row of rows) {
        const orderId = row.get('order_id') as string | null;
        if (!orderId || row.get('kind') !== 'e') continue;
        const mine = items.find((p) => p.write.kind === 'event' && p.write.event.orderId === orderId && p.write.event.seq === Number(row.get('seq')));
        if (mine && mine.write.kind === 'event' && row.get('writer') === writerId && row.get('payload') === mine.write.event.payload && mine.guarded) {
          mine.guarded = false; // our own earlier attempt landed
          ours += 1;
        } else taken.add(orderId);
      }
      const lost = items.filter((p) => p.write.kind === 'event' && taken.has(p.write.event.orderId));
      for (const p of lost) if (p.write.kind === 'event') claim.lastSeq.delete(p.write.event.orderId);
      refuse(lost, conflictOf);
      items = items.filter((p) => !lost.includes(p));
      if (lost.length === 0 && ours === 0) await sleep(backoffDelay(attempt++, retryBackoff)); // refused for no reason we can name: try again
    }
  };

  const drain = async () => {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length) {
        const claim = queue[0]!.claim;
        if (current !== claim) {
          const stale = queue.filter((p) => p.claim !== current);
          queue = queue.filter((p) => p.claim === current);
          refuse(stale, conflictOf);
          continue;
        }
        await claim.established;
        const done = opts.turn ? await opts.turn() : () => undefined;
        try {
          // Taken after the wait for a turn, so the batch holds everything that arrived meanwhile.
          const batch: Pending[] = [];
          while (queue.length && batch.length < maxBatch && queue[0]!.claim === claim) batch.push(queue.shift()!);
          if (batch.length) await flush(batch, claim);
        } finally {
          done();
        }
      }
    } finally {
      flushing = false;
    }
  };

  /** `kick`: start a flush now; otherwise the write waits for the next flush something else starts. */
  const enqueue = (write: LogWrite, guarded = false, kick = true): Promise<void> => {
    const claim = current;
    if (!claim) return Promise.reject(write.kind === 'event' ? new JournalConflictError(write.event.orderId, write.event.seq) : new TransientError(`shard log ${logId} is not held by this node`));
    return new Promise<void>((resolve, reject) => {
      queue.push({ write, claim, guarded, resolve, reject });
      if (kick) void drain();
    });
  };

  return {
    logId,
    claimed: () => current !== undefined,
    claim() {
      const claim: Claim = { established: Promise.resolve(0), lastSeq: new Map() };
      claim.established = takeEpoch().then((epoch) => { claim.epoch = epoch; return epoch; });
      current = claim;
      return claim.established;
    },
    async ready() {
      if (current) await current.established;
    },
    release() {
      current = undefined;
      const stale = queue;
      queue = [];
      refuse(stale, conflictOf);
    },
    append(event) {
      const claim = current;
      if (!claim) return Promise.reject(new JournalConflictError(event.orderId, event.seq));
      const last = claim.lastSeq.get(event.orderId);
      // Two actors of one order in this process (a stopped one still finishing its handler): the later position wins nothing.
      if (last !== undefined && event.seq <= last) return Promise.reject(new JournalConflictError(event.orderId, event.seq));
      claim.lastSeq.set(event.orderId, event.seq);
      return enqueue({ kind: 'event', event }, last === undefined);
    },
    mark(write) {
      const claim = current;
      // An order's marker goes with its first event (queued right behind it), never in a flush of its own.
      const done = enqueue(write, false, write.kind !== 'open');
      // A finished order's position is forgotten (memory stays bounded); should it ever append
      // again, its write is checked by Cassandra instead (IF NOT EXISTS).
      if (write.kind === 'close') void done.then(() => claim?.lastSeq.delete(write.orderId), () => undefined);
      return done;
    },
    async recoveryRead() {
      const claim = current;
      if (claim) await claim.established;
      return (orderId, lastSeq) => {
        if (!claim || current !== claim) return;
        claim.lastSeq.set(orderId, Math.max(lastSeq, claim.lastSeq.get(orderId) ?? 0));
      };
    },
  };
}
