import cassandra, { type Client } from 'cassandra-driver';
import { noCounters, type StorageCounters } from './storage-counters.js';
import type { Logger } from '../observability/logger.js';

/**
 * Orders that are not terminal yet, by shard. A node that takes a shard reads this to know which
 * orders to wake; an order is added before its first event and removed once it is terminal, so a
 * crash in between leaves at worst a terminal order listed (recovered, seen terminal, removed).
 */
export interface ActiveOrderIndex {
  add(shard: number, orderId: string, placedAt: number): Promise<void>;
  remove(shard: number, orderId: string): Promise<void>;
  list(shard: number): Promise<string[]>;
  /** The shard left this node (an index that is also the shard's journal forgets its claim). */
  release?(shard: number): void;
}

/** The `lwt` journal's index: also raises a shard's low-water mark on demand (its timer does it every `raiseEveryMs`). */
export interface PositionedOrderIndex extends ActiveOrderIndex {
  /** After any raise already under way: moves long-open orders up, then raises the mark if this node may; resolves with the mark it published, if any. */
  raiseMark(shard: number): Promise<number | undefined>;
}

export interface ActiveOrderIndexOptions {
  client: Client;
  keyspace: string;
  counters?: StorageCounters;
  logger?: Pick<Logger, 'warn'>;
  now?: () => number;
  /** How often the owner raises a shard's low-water mark (one LWT per shard). Default 5 s. */
  raiseEveryMs?: number;
  /** An order open longer than this is written again at the current time, so it does not hold the mark back. Default 60 s. */
  moveAfterMs?: number;
}

interface ShardState {
  /**
   * This node's claim on the shard (the epoch under which it may raise the mark), made by its
   * listing when it takes the shard; resolved once the mark is known too. Unset until then, or
   * after a claim failed: an add on a shard this node has not taken claims nothing (a command of a
   * shard a node does not own is never committed; its owner handles it again).
   */
  claim?: Promise<bigint>;
  /** Listed (taken) by this node since it last released the shard: its adds need the claim. */
  taken: boolean;
  /** Adds go at or above it; raised here before the LWT that publishes it. */
  lowWater: number;
  /** Open orders this node knows of, with the positions of their rows. */
  open: Map<string, Set<number>>;
  /** Listed since the claim: only then does this node know every open order, and may raise the mark. */
  listed: boolean;
  fenced: boolean;
  /** An order left the index since the last raise (or the shard was just taken): a raise can skip tombstones. */
  removedSinceRaise: boolean;
  /** The raise under way, if any (one at a time per shard). */
  raising?: Promise<number | undefined>;
  timer?: NodeJS.Timeout;
}

const { consistencies } = cassandra.types;
const plain = { prepare: true, consistency: consistencies.quorum };
const lwt = { ...plain, serialConsistency: consistencies.serial };

/**
 * The `lwt` journal's index of unfinished orders. Rows sit by position (the time the order was
 * placed, or later) and a shard is listed from its low-water mark, so the tombstones that finished
 * orders leave below the mark are never scanned: a listing costs the orders open, plus those
 * finished since the oldest open one (at most `moveAfterMs` back, since older open orders are
 * written again at the current time).
 *
 * Why the mark cannot hide an unfinished order: a node taking the shard claims it (bumps its
 * epoch, one LWT) before it lists, and its adds wait for that claim; only the holder of the
 * current epoch raises the mark (`IF epoch = <mine>`), and never above a row of an order it knows
 * open, nor above where its own adds go. A row written by any other node (a former owner after the
 * claim, or a node handling a command of a shard it does not own) may sit below the mark, but its
 * command was never committed (Kafka fences offsets to the partition's owner), so the owner
 * handles it again and writes the order's row above the mark before its actor sees the command.
 */
export function createActiveOrderIndex(opts: ActiveOrderIndexOptions): PositionedOrderIndex {
  const { client, keyspace: ks } = opts;
  const counters = opts.counters ?? noCounters;
  const now = opts.now ?? Date.now;
  const raiseEveryMs = opts.raiseEveryMs ?? 5_000;
  const moveAfterMs = opts.moveAfterMs ?? 60_000;
  const cql = {
    insert: `INSERT INTO ${ks}.active_orders_by_position (shard, position, order_id) VALUES (?, ?, ?)`,
    delete: `DELETE FROM ${ks}.active_orders_by_position WHERE shard = ? AND position = ? AND order_id = ?`,
    list: `SELECT position, order_id FROM ${ks}.active_orders_by_position WHERE shard = ? AND position >= ?`,
    read: `SELECT epoch, low_water FROM ${ks}.active_order_shards WHERE shard = ?`,
    create: `INSERT INTO ${ks}.active_order_shards (shard, epoch, low_water) VALUES (?, 1, 0) IF NOT EXISTS`,
    bump: `UPDATE ${ks}.active_order_shards SET epoch = ? WHERE shard = ? IF epoch = ? AND low_water = ?`,
    raise: `UPDATE ${ks}.active_order_shards SET low_water = ? WHERE shard = ? IF epoch = ?`,
  };
  const shards = new Map<number, ShardState>();

  /**
   * Takes the next epoch with one LWT (after a plain read of the row), and learns the mark in the
   * same step: the bump applies only if the mark is still the one read, so no raise of a former
   * owner slips between the two. A refusal reports the row's current values: outbid from those.
   */
  const takeEpoch = async (shard: number): Promise<{ epoch: bigint; lowWater: number }> => {
    counters.count('read', 'active_order_shards');
    let row = (await client.execute(cql.read, [shard], plain)).first();
    for (let attempt = 1; attempt <= 10; attempt++) {
      if (!row) {
        counters.count('lwt', 'active_order_shards');
        const created = await client.execute(cql.create, [shard], lwt);
        if (created.wasApplied()) return { epoch: 1n, lowWater: 0 };
        row = created.first();
        continue;
      }
      const seen = BigInt(row.get('epoch') as bigint);
      const mark = (row.get('low_water') as bigint | null) ?? 0n;
      counters.count('lwt', 'active_order_shards');
      const bumped = await client.execute(cql.bump, [seen + 1n, shard, seen, mark], lwt);
      if (bumped.wasApplied()) return { epoch: seen + 1n, lowWater: Number(mark) };
      row = bumped.first(); // another claimant or a raise went first: try again from what it left
    }
    throw new Error(`could not claim shard ${shard}: outbid 10 times in a row`);
  };

  /** The shard's state on this node (made empty and unclaimed if there is none). */
  const stateOf = (shard: number): ShardState => {
    let state = shards.get(shard);
    if (!state) {
      state = { taken: false, lowWater: 0, open: new Map(), listed: false, fenced: false, removedSinceRaise: false };
      shards.set(shard, state);
    }
    return state;
  };

  /** Claims the shard for `state` unless a claim is made or under way; a failed claim is made again next time. */
  const claimFor = (shard: number, state: ShardState): Promise<bigint> => {
    if (state.claim) return state.claim;
    const claim = takeEpoch(shard).then(({ epoch, lowWater }) => {
      state.lowWater = Math.max(state.lowWater, lowWater);
      state.fenced = false;
      return epoch;
    });
    state.claim = claim;
    claim.catch(() => { if (state.claim === claim) state.claim = undefined; });
    if (!state.timer) {
      state.timer = setInterval(() => void raise(shard, state), raiseEveryMs);
      state.timer.unref();
    }
    return claim;
  };

  const write = async (shard: number, position: number, orderId: string) => {
    counters.count('write', 'active_orders_by_position');
    await client.execute(cql.insert, [shard, BigInt(position), orderId], plain);
  };
  const erase = async (shard: number, position: number, orderId: string) => {
    counters.count('write', 'active_orders_by_position');
    await client.execute(cql.delete, [shard, BigInt(position), orderId], plain);
  };
  const track = (state: ShardState, orderId: string, position: number) => {
    const positions = state.open.get(orderId) ?? new Set<number>();
    positions.add(position);
    state.open.set(orderId, positions);
  };

  /** Writes long-open orders again at the current time (then drops their old rows), then publishes a higher mark. */
  const raise = (shard: number, state: ShardState): Promise<number | undefined> => {
    if (!state.listed || !state.claim || state.raising || state.fenced || shards.get(shard) !== state) return Promise.resolve(undefined);
    const raising = raiseOnce(shard, state, state.claim).finally(() => { if (state.raising === raising) state.raising = undefined; });
    state.raising = raising;
    return raising;
  };
  const raiseOnce = async (shard: number, state: ShardState, claim: Promise<bigint>): Promise<number | undefined> => {
    // Nothing left the index since the last raise: no tombstone to skip, so no LWT (an idle shard costs nothing).
    if (!state.removedSinceRaise) return undefined;
    state.removedSinceRaise = false;
    try {
      const epoch = await claim;
      const t = Math.max(now(), state.lowWater); // a clock behind the mark still writes above it
      for (const [orderId, positions] of [...state.open]) {
        if (Math.min(...positions) >= t - moveAfterMs) continue;
        const old = [...positions];
        track(state, orderId, t);
        await write(shard, t, orderId);
        const still = state.open.get(orderId);
        if (!still) { await erase(shard, t, orderId); continue; } // finished meanwhile
        for (const p of old) still.delete(p);
        await Promise.all(old.map((p) => erase(shard, p, orderId)));
      }
      let mark = t;
      for (const positions of state.open.values()) for (const p of positions) mark = Math.min(mark, p);
      if (mark <= state.lowWater) return undefined;
      state.lowWater = mark; // adds from now on go at or above it
      counters.count('lwt', 'active_order_shards');
      const rs = await client.execute(cql.raise, [BigInt(mark), shard, epoch], lwt);
      if (rs.wasApplied()) return mark;
      state.fenced = true; // another node claimed the shard: the mark is its to raise
      opts.logger?.warn({ shard }, 'another node claimed the shard\'s low-water mark; not raising it here until this node takes the shard again');
      return undefined;
    } catch (err) {
      state.removedSinceRaise = true;
      opts.logger?.warn({ shard, err }, 'could not raise the shard\'s low-water mark; trying again later');
      return undefined;
    }
  };

  return {
    async add(shard, orderId, placedAt) {
      const state = stateOf(shard);
      // The owner's adds wait for its claim (made again if it failed; an add without one fails, so
      // its command is retried): the claim brings the mark they must not go below.
      if (state.taken) await claimFor(shard, state);
      const position = Math.max(placedAt, state.lowWater);
      track(state, orderId, position);
      await write(shard, position, orderId);
    },
    async remove(shard, orderId) {
      const state = shards.get(shard);
      const positions = state?.open.get(orderId);
      if (!state || !positions) return; // not known here: a later listing finds it, sees it finished, removes it
      state.open.delete(orderId);
      state.removedSinceRaise = true;
      await Promise.all([...positions].map((p) => erase(shard, p, orderId)));
    },
    async list(shard) {
      const state = stateOf(shard);
      if (!state.taken) {
        // Taking the shard: what this node tracked before (commands it handled as the shard's
        // non-owner, never committed) is forgotten; the listing and the redelivered commands say
        // what is open. Kept, an order finished elsewhere would hold the mark back for good.
        state.taken = true;
        state.open = new Map();
        state.removedSinceRaise = true; // a former owner's finished orders may lie above the mark
      }
      await claimFor(shard, state);
      const from = state.lowWater; // at most the published mark: this node raises it only after moving what it knows open
      const ids = new Set<string>();
      let pageState: string | undefined;
      do {
        counters.count('read', 'active_orders_by_position');
        const rs = await client.execute(cql.list, [shard, BigInt(from)], { ...plain, fetchSize: 1000, pageState });
        for (const row of rs.rows) {
          const orderId = row.get('order_id') as string;
          track(state, orderId, Number(row.get('position') as bigint));
          ids.add(orderId);
        }
        pageState = rs.pageState ?? undefined;
      } while (pageState);
      state.listed = true;
      return [...ids];
    },
    async raiseMark(shard) {
      const state = shards.get(shard);
      if (!state) return undefined;
      await state.raising; // the timer's raise, if one is under way: this call's raise starts after it
      return raise(shard, state);
    },
    release(shard) {
      const state = shards.get(shard);
      if (state?.timer) clearInterval(state.timer);
      shards.delete(shard);
    },
  };
}
