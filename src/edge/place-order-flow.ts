import { createHash } from 'node:crypto';
import { applyOrderEvent, emptyOrderState } from '../../actors/order/order-state.js';
import { BusinessRejection, TransientError, type PreconditionViolation } from '../domain/errors.js';
import type { PricedOrder } from '../domain/order.js';
import type { PlaceOrderInput } from '../domain/place-order.js';
import type { Logger } from '../observability/logger.js';
import type { IdempotencyStore, KeyOutcome, Reservation } from '../storage/idempotency-store.js';
import { idempotencyKeyInProgress, idempotencyKeyReused } from './rich-errors.js';
import { orderView } from '../../actors/order/order-view.js';
import type { OrderView } from '../domain/order-view.js';

export interface Accepted { orderId: string; totalMinor: number; currency: string; replayed: boolean }

export interface PlaceOrderFlowDeps {
  idempotency: IdempotencyStore;
  price(input: PlaceOrderInput, orderId: string, opts: { signal?: AbortSignal }): Promise<{ order: PricedOrder }>;
  /** Resolves once Kafka acknowledged the command. */
  publishPlace(order: PricedOrder): Promise<void>;
  /** Tells every node's watchers the order exists, before its owner has even woken it. */
  announce(view: OrderView): void;
  /** A new order's id; it may depend on the request (the id carries the pool the order runs in). */
  newOrderId(input: PlaceOrderInput): string;
  /** How often a request that found its key taken checks whether the first one finished. */
  pollMs?: number;
  /** How long it waits for that before answering "in progress, retry". */
  maxWaitMs?: number;
  /**
   * A reservation still without an outcome after this long belongs to a request that died with
   * its node; a request with the same key and payload then takes it over (keeping its order id).
   * Longer than any live request runs (pricing deadlines plus the Kafka send's retry budget).
   */
  staleAfterMs?: number;
  /**
   * The order a key's request placed, if it exists (known to this node's status view, or in its
   * journal): what a repeated request is answered with. The key's row is written once, when
   * reserved; an accepted order's outcome is the order itself. Throws if it cannot tell.
   */
  findOrder(orderId: string): Promise<{ totalMinor: number; currency: string } | undefined>;
  logger?: Pick<Logger, 'warn' | 'error'>;
}


interface StoredRejection { reason: string; message: string; violations: PreconditionViolation[]; metadata: Record<string, string> }

/** The hash a key is bound to: the request minus its key, with object keys sorted at every level. */
export function requestHash(input: PlaceOrderInput): string {
  const { idempotencyKey: _key, ...rest } = input;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * PlaceOrder after validation: reserve the key (one request per key, across nodes), price the
 * order, publish it, remember the outcome. A second request with the same key and payload gets
 * the first one's answer — also while the first is still running; a different payload is refused.
 */
export function createPlaceOrderFlow(deps: PlaceOrderFlowDeps) {
  const pollMs = deps.pollMs ?? 50;
  const maxWaitMs = deps.maxWaitMs ?? 5_000;
  const staleAfterMs = deps.staleAfterMs ?? 15_000;
  /** Same-node duplicates join the running request instead of polling Cassandra. */
  const running = new Map<string, { attempt: Promise<Accepted>; signal: AbortSignal | undefined }>();

  /** A key's order, once it exists: the answer to a repeated request (a lookup that fails is a passing failure). */
  const existingOrder = async (orderId: string): Promise<Accepted | undefined> => {
    let found: { totalMinor: number; currency: string } | undefined;
    try {
      found = await deps.findOrder(orderId);
    } catch (err) {
      throw new TransientError('could not tell whether this idempotency key\'s order exists; retry with the same key', err);
    }
    return found && { orderId, totalMinor: found.totalMinor, currency: found.currency, replayed: true };
  };

  /** A recorded outcome: a rejection, or (rows written before outcomes were the orders themselves) an acceptance. */
  const replay = (outcome: KeyOutcome): Accepted => {
    if (outcome.kind === 'accepted') return { orderId: outcome.orderId, totalMinor: outcome.totalMinor, currency: outcome.currency, replayed: true };
    const r = JSON.parse(outcome.error) as StoredRejection;
    throw new BusinessRejection(r.reason, r.message, r.violations, r.metadata);
  };

  /**
   * Settles what this request does with its key: place anew (free key, or a key whose earlier
   * request was rejected for a different request), replay the outcome (same request), take over
   * a reservation whose request died or whose send's outcome is unknown (same order id), wait
   * while the holder runs, or refuse a different request.
   */
  const claim = async (input: PlaceOrderInput, hash: string, signal?: AbortSignal): Promise<Accepted> => {
    const { consumerId, idempotencyKey: key } = input;
    const giveUpAt = Date.now() + maxWaitMs;
    let held: Reservation | undefined;
    for (let first = true; ; first = false) {
      if (!first) {
        if (signal?.aborted || Date.now() > giveUpAt) throw idempotencyKeyInProgress();
        await new Promise((r) => setTimeout(r, pollMs));
        held = await deps.idempotency.read(consumerId, key);
      }
      if (!held) {
        const orderId = deps.newOrderId(input);
        const reservation = await deps.idempotency.reserve(consumerId, key, hash, orderId);
        if (reservation.kind === 'reserved') return firstTime(input, orderId, reservation.reservedAt, signal);
        held = reservation;
      }
      if (held.kind !== 'taken') continue;
      if (held.requestHash !== hash) {
        // A rejected request never made an order: its key serves a corrected request.
        if (held.outcome?.kind !== 'rejected') throw idempotencyKeyReused();
        const orderId = deps.newOrderId(input);
        const reservedAt = await deps.idempotency.replaceRejected(consumerId, key, held, hash, orderId);
        if (reservedAt !== undefined) return firstTime(input, orderId, reservedAt, signal);
        continue;
      }
      if (held.outcome) return replay(held.outcome);
      const existing = await existingOrder(held.orderId);
      if (existing) return existing;
      if (Date.now() - held.reservedAt > staleAfterMs) {
        const reservedAt = await deps.idempotency.takeOver(consumerId, key, hash, held.orderId, held.reservedAt);
        if (reservedAt !== undefined) return firstTime(input, held.orderId, reservedAt, signal, true);
      }
    }
  };

  /**
   * `mayBeQueued`: the order id may already be on Kafka (a dead holder's, or our own earlier
   * send's), so the key is never released, only abandoned for a retry to take over.
   */
  const firstTime = async (input: PlaceOrderInput, orderId: string, reservedAt: number, signal?: AbortSignal, mayBeQueued = false): Promise<Accepted> => {
    const { consumerId, idempotencyKey: key } = input;
    const abandon = () => deps.idempotency.abandon(consumerId, key, reservedAt).catch((err: unknown) =>
      deps.logger?.warn({ orderId, err }, 'could not mark an idempotency key for takeover; a retry takes it over once it is stale'));
    const giveBack = () => (mayBeQueued ? abandon() : deps.idempotency.release(consumerId, key).catch(() => undefined));
    let order: PricedOrder;
    try {
      order = (await deps.price(input, orderId, { signal })).order;
    } catch (err) {
      if (err instanceof BusinessRejection && !mayBeQueued) {
        const stored: StoredRejection = { reason: err.reason, message: err.customerMessage, violations: err.violations, metadata: err.metadata };
        await deps.idempotency.complete(consumerId, key, { kind: 'rejected', reason: err.reason, error: JSON.stringify(stored) }, reservedAt);
      } else {
        // A rejection is not recorded for an order that may exist: that would tell a false story.
        await giveBack();
      }
      throw err;
    }
    try {
      await deps.publishPlace(order);
    } catch (err) {
      // Kafka may have written it anyway (an ack lost): the retry must place this same order id,
      // which the order's owner then ignores as a duplicate, never a second order.
      await abandon();
      throw new TransientError('could not confirm the order was queued; retry with the same idempotency key', err);
    }
    const placed = applyOrderEvent(emptyOrderState, { type: 'OrderPlaced', v: 1, order, at: order.placedAt, node: 'edge' });
    const view = orderView(orderId, placed);
    if (view) deps.announce(view);
    // Nothing more is written under the key: a repeated request finds the order itself.
    return { orderId, totalMinor: order.totalMinor, currency: order.currency, replayed: false };
  };

  return {
    async place(input: PlaceOrderInput, signal?: AbortSignal): Promise<Accepted> {
      const hash = requestHash(input);
      const slot = `${input.consumerId}\u0000${input.idempotencyKey}\u0000${hash}`;
      for (let joined = running.get(slot); joined; joined = running.get(slot)) {
        try {
          return { ...(await joined.attempt), replayed: true };
        } catch (err) {
          // Its caller went away and the work stopped with it: this caller still wants the order.
          if (!joined.signal?.aborted) throw err;
          if (running.get(slot) === joined) running.delete(slot);
        }
      }
      const attempt = claim(input, hash, signal);
      running.set(slot, { attempt, signal });
      try {
        return await attempt;
      } finally {
        running.delete(slot);
      }
    },
  };
}
