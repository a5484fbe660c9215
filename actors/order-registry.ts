import type { Logger } from '../src/observability/logger.js';
import { isTerminal, type PricedOrder } from '../src/domain/order.js';
import type { ActiveOrderIndex } from '../src/storage/active-orders.js';
import { spawnOrderActor, type OrderActorDeps, type OrderCommand, type OrderReply } from './order/order-actor.js';
import type { OrderHooks } from './order-hooks.js';
import { dispatch, isAlive, query, stopActor, type Ref, type SystemRef } from './typed-nact.js';

export interface OrderRegistryOptions {
  system: SystemRef;
  actor: Omit<OrderActorDeps, keyof OrderHooks>;
  hooks: OrderHooks;
  index: ActiveOrderIndex;
  shardOf(orderId: string): number;
  queryTimeoutMs: number;
  /** How long a terminal order stays in memory (late reads, duplicate commands) before passivating. */
  lingerMs: number;
  logger: Logger;
  /**
   * Lets a new order's actor skip the recovery reads (see CassandraPersistenceEngine.assumeEmpty);
   * returns how to withdraw the guess.
   */
  assumeEmpty?(orderId: string): () => void;
  /**
   * How long after its actor was fenced an order of a shard this node still owns is recovered
   * again (unset: never). A write of an earlier owner that lands late (a link that healed with
   * the write still in flight) takes the position this node's actor wanted; the order is then
   * still this node's to finish, from a journal that now holds that write. The wait must exceed
   * the time the node takes to learn that its shards moved (the group session timeout), so a
   * node that was paused and fenced for good gives the shard up before any revival; and a node
   * cut from Kafka hears nothing, so the revival also waits for the group to confirm ownership.
   */
  reviveFenced?: {
    afterMs: number;
    /**
     * Whether the node's ownership of its shards was confirmed after `at` (by the group); until
     * it is, the revival waits: a node cut from Kafka cannot know that its shards moved.
     * Unset: ownership is taken as confirmed.
     */
    ownershipConfirmedSince?(at: number): boolean;
  };
}

export interface OrderRegistry {
  /** Registers the order in its shard's index, then persists it: safe to repeat (duplicates are ignored). */
  place(order: PricedOrder): Promise<OrderReply>;
  cancel(orderId: string, reason: string): Promise<OrderReply>;
  /** The order's state, recovering its actor from the journal if it is not in memory. */
  get(orderId: string): Promise<OrderReply>;
  /** Brings the shard's unfinished orders back to life (they carry on by themselves); returns how many are listed. */
  recoverShard(shard: number): Promise<number>;
  /** Stops the actors of one shard (it is being handed to another node). */
  releaseShard(shard: number): void;
  activeOrderIds(): string[];
  stopAll(): void;
}

/** The node's order actors by id: spawned on demand, passivated when done, stopped when fenced. */
export function createOrderRegistry(opts: OrderRegistryOptions): OrderRegistry {
  const actors = new Map<string, Ref<OrderCommand>>();
  /**
   * Actors spawned on the guess that their order's journal is empty, until their first append
   * lands. The guess belongs to that actor alone: withdrawn when it stops, so a later actor of the
   * order (a shard recovery, a revival) reads the journal.
   */
  const assumedNew = new Map<string, { ref: Ref<OrderCommand>; withdraw(): void }>();
  const guessOf = (orderId: string, ref: Ref<OrderCommand> | undefined) => {
    const guess = assumedNew.get(orderId);
    return guess && guess.ref === ref ? guess : undefined;
  };
  const dropGuess = (orderId: string) => {
    assumedNew.get(orderId)?.withdraw();
    assumedNew.delete(orderId);
  };
  /** Orders woken by a shard recovery, until their actor reports what it found. */
  const waking = new Set<string>();
  /** Orders whose place command this node is handling now (index add, then the actor), with how many. */
  const placing = new Map<string, number>();
  /**
   * Shards this node was asked to recover and has not released, each with the count of
   * recoveries and releases so far: a revival is for the ownership under which the actor was
   * fenced, never for a later one (whose recovery wakes the order anyway).
   */
  const owned = new Map<number, number>();
  let ownershipChanges = 0;
  const log = opts.logger;
  const { hooks } = opts;

  const removeFromIndex = (orderId: string) => {
    opts.index.remove(opts.shardOf(orderId), orderId).catch((err: unknown) =>
      log.warn({ orderId, err }, 'could not drop a finished order from the shard index; the next recovery will'));
  };

  /** Drops a finished order from the index once its status is announced; kept listed if that failed. */
  const unlistWhenAnnounced = (orderId: string, announced: void | Promise<void>) => {
    Promise.resolve(announced).then(() => removeFromIndex(orderId), (err: unknown) =>
      log.warn({ orderId, err }, 'a finished order\'s status was not announced; it stays listed for the next recovery'));
  };

  const passivateLater = (orderId: string, ref: Ref<OrderCommand>) => {
    setTimeout(() => {
      if (actors.get(orderId) === ref) stopActor(ref);
    }, opts.lingerMs).unref();
  };

  /** The order's live actor, or a new one; `fresh`: a new order's, spawned on the guess that its journal is empty. */
  const ensure = (orderId: string, fresh = false): Ref<OrderCommand> => {
    const existing = actors.get(orderId);
    if (existing && isAlive(existing)) return existing;
    dropGuess(orderId); // an earlier actor's guess, if it stopped before its recovery read
    const withdraw = fresh ? opts.assumeEmpty?.(orderId) : undefined;
    let ref: Ref<OrderCommand> | undefined;
    ref = spawnOrderActor(opts.system, orderId, {
      ...opts.actor,
      onAttemptFailed: hooks.onAttemptFailed,
      onStepFinished: hooks.onStepFinished,
      onEvent: (id, event, state) => {
        if (guessOf(id, ref)) assumedNew.delete(id);
        const announced = hooks.onEvent?.(id, event, state);
        if (isTerminal(state.status)) {
          unlistWhenAnnounced(id, announced);
          if (ref) passivateLater(id, ref);
        }
      },
      onResumed: (id, state) => {
        hooks.onResumed?.(id, state);
        if (!waking.delete(id)) return;
        if (state.status === 'NEW') {
          // The listing raced this order's place command (its row written a moment ago): the
          // command is on its way to this actor, which must stay, and so must the row.
          if (placing.has(id)) return;
          // Listed but never persisted (its command was never handled): unlist it.
          removeFromIndex(id);
          if (ref) stopActor(ref);
          return;
        }
        const announced = hooks.onRecovered?.(id, state);
        if (isTerminal(state.status)) {
          // Listed but finished: its previous owner died before announcing it, or before unlisting it.
          unlistWhenAnnounced(id, announced);
          if (ref) stopActor(ref);
        }
      },
      onFenced: (id, command) => {
        if (actors.get(id) === ref) actors.delete(id);
        const guessed = guessOf(id, ref) !== undefined;
        if (guessed) assumedNew.delete(id);
        if (guessed && command?.type === 'place') {
          // The guess was wrong (a redelivered command for a known order): recover for real, retry
          // the command. Only that command: a step report belongs to the actor that started the step.
          setImmediate(() => dispatch(ensure(id), command));
          return;
        }
        reviveLater(id);
        return hooks.onFenced?.(id);
      },
      onStopped: (id) => {
        if (guessOf(id, ref)) dropGuess(id);
        if (actors.get(id) === ref) actors.delete(id);
        hooks.onStopped?.(id);
      },
    });
    actors.set(orderId, ref);
    if (withdraw) assumedNew.set(orderId, { ref, withdraw });
    return ref;
  };

  const reviveLater = (orderId: string) => {
    const shard = opts.shardOf(orderId);
    const ownership = owned.get(shard);
    const revive = opts.reviveFenced;
    if (!revive || ownership === undefined) return;
    const fencedAt = Date.now();
    const check = () => {
      const existing = actors.get(orderId);
      if (owned.get(shard) !== ownership || (existing && isAlive(existing))) return;
      if (revive.ownershipConfirmedSince && !revive.ownershipConfirmedSince(fencedAt)) {
        setTimeout(check, revive.afterMs).unref(); // until the group confirms the shard, or it is released
        return;
      }
      log.warn({ orderId, shard }, 'an order fenced by a late write of an earlier owner: recovering it again, its shard is still ours');
      waking.add(orderId);
      ensure(orderId);
    };
    setTimeout(check, revive.afterMs).unref();
  };

  const ask = (orderId: string, make: (replyTo: Ref<OrderReply>) => OrderCommand): Promise<OrderReply> =>
    query(ensure(orderId), make, opts.queryTimeoutMs);

  return {
    async place(order) {
      const id = order.orderId;
      placing.set(id, (placing.get(id) ?? 0) + 1);
      try {
        await opts.index.add(opts.shardOf(id), id, order.placedAt);
        return await query(ensure(id, true), (replyTo): OrderCommand => ({ type: 'place', order, replyTo }), opts.queryTimeoutMs);
      } finally {
        const left = (placing.get(id) ?? 1) - 1;
        if (left > 0) placing.set(id, left);
        else placing.delete(id);
      }
    },
    cancel: (orderId, reason) => ask(orderId, (replyTo) => ({ type: 'cancel', reason, replyTo })),
    get: (orderId) => ask(orderId, (replyTo) => ({ type: 'get', replyTo })),
    async recoverShard(shard) {
      owned.set(shard, ++ownershipChanges);
      const ids = await opts.index.list(shard);
      for (const orderId of ids) {
        const existing = actors.get(orderId);
        if (existing && isAlive(existing)) continue;
        waking.add(orderId);
        ensure(orderId); // recovers from the journal, then its `resume` carries the order on
      }
      return ids.length;
    },
    releaseShard(shard) {
      owned.delete(shard);
      ownershipChanges += 1;
      for (const [orderId, ref] of actors) {
        if (opts.shardOf(orderId) === shard) stopActor(ref);
      }
      opts.index.release?.(shard);
    },
    activeOrderIds: () => [...actors.keys()],
    stopAll() {
      for (const ref of actors.values()) stopActor(ref);
      actors.clear();
    },
  };
}
