import { createHash } from 'node:crypto';
import { applyOrderEvent, emptyOrderState } from '../../actors/order/order-state.js';
import { BusinessRejection, TransientError, type PreconditionViolation } from '../domain/errors.js';
import type { PricedOrder } from '../domain/order.js';
import type { PlaceOrderInput } from '../domain/place-order.js';
import type { Logger } from '../observability/logger.js';
import { retry, type RetryPolicy } from '../resilience/retry.js';
import type { IdempotencyStore, KeyOutcome } from '../storage/idempotency-store.js';
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
  logger?: Pick<Logger, 'warn'>;
}

interface StoredRejection { reason: string; message: string; violations: PreconditionViolation[]; metadata: Record<string, string> }

/** The hash a key is bound to: the request minus its key, with object keys sorted at every level. */
export function requestHash(input: PlaceOrderInput): string {
  const { idempotencyKey: _key, ...rest } = input;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

const RECORD_RETRY: RetryPolicy = { maxAttempts: 20, backoff: { initialMs: 400, maxMs: 10_000 } };

async function recordWithRetry(write: () => Promise<void>, onError: (err: unknown) => void): Promise<void> {
  await retry(write, RECORD_RETRY, { onAttemptFailed: (_attempt, err) => onError(err) });
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
  const running = new Map<string, Promise<Accepted>>();

  const replay = (outcome: KeyOutcome): Accepted => {
    if (outcome.kind === 'accepted') return { orderId: outcome.orderId, totalMinor: outcome.totalMinor, currency: outcome.currency, replayed: true };
    const r = JSON.parse(outcome.error) as StoredRejection;
    throw new BusinessRejection(r.reason, r.message, r.violations, r.metadata);
  };

  const waitForOutcome = async (input: PlaceOrderInput, hash: string, signal?: AbortSignal): Promise<Accepted> => {
    const { consumerId, idempotencyKey: key } = input;
    const giveUpAt = Date.now() + maxWaitMs;
    for (;;) {
      if (signal?.aborted || Date.now() > giveUpAt) throw idempotencyKeyInProgress();
      await new Promise((r) => setTimeout(r, pollMs));
      const now = await deps.idempotency.read(consumerId, key);
      if (!now) throw new TransientError('the earlier request with this key failed; retry');
      if (now.kind === 'taken' && now.requestHash !== hash) throw idempotencyKeyReused();
      if (now.kind === 'taken' && now.outcome) return replay(now.outcome);
      if (now.kind === 'taken' && Date.now() - now.reservedAt > staleAfterMs) {
        const reservedAt = await deps.idempotency.takeOver(consumerId, key, hash, now.orderId, now.reservedAt);
        if (reservedAt !== undefined) return firstTime(input, now.orderId, reservedAt, signal, true);
      }
    }
  };

  /** `takenOver`: the dead holder may have queued this order id already, so the key is never released. */
  const firstTime = async (input: PlaceOrderInput, orderId: string, reservedAt: number, signal?: AbortSignal, takenOver = false): Promise<Accepted> => {
    const { consumerId, idempotencyKey: key } = input;
    const release = () => (takenOver ? Promise.resolve() : deps.idempotency.release(consumerId, key).catch(() => undefined));
    let order: PricedOrder;
    try {
      order = (await deps.price(input, orderId, { signal })).order;
    } catch (err) {
      if (err instanceof BusinessRejection) {
        const stored: StoredRejection = { reason: err.reason, message: err.customerMessage, violations: err.violations, metadata: err.metadata };
        await deps.idempotency.complete(consumerId, key, { kind: 'rejected', reason: err.reason, error: JSON.stringify(stored) }, reservedAt);
      } else {
        await release();
      }
      throw err;
    }
    try {
      await deps.publishPlace(order);
    } catch (err) {
      await release();
      throw new TransientError('could not queue the order; nothing was charged, retry', err);
    }
    const placed = applyOrderEvent(emptyOrderState, { type: 'OrderPlaced', v: 1, order, at: order.placedAt, node: 'edge' });
    const view = orderView(orderId, placed);
    if (view) deps.announce(view);
    const outcome: KeyOutcome = { kind: 'accepted', orderId, totalMinor: order.totalMinor, currency: order.currency };
    // The order is accepted once Kafka has it: a failure to record that must not turn into an
    // error (the client would retry into a key that looks busy); it is retried in the background.
    void recordWithRetry(() => deps.idempotency.complete(consumerId, key, outcome, reservedAt), (err) =>
      deps.logger?.warn({ orderId, err }, 'could not record an accepted order under its idempotency key yet; retrying'));
    return { orderId, totalMinor: order.totalMinor, currency: order.currency, replayed: false };
  };

  return {
    async place(input: PlaceOrderInput, signal?: AbortSignal): Promise<Accepted> {
      const hash = requestHash(input);
      const slot = `${input.consumerId}\u0000${input.idempotencyKey}\u0000${hash}`;
      const joined = running.get(slot);
      if (joined) return { ...(await joined), replayed: true };
      const attempt = (async () => {
        const orderId = deps.newOrderId(input);
        const reservation = await deps.idempotency.reserve(input.consumerId, input.idempotencyKey, hash, orderId);
        if (reservation.kind === 'reserved') return firstTime(input, orderId, reservation.reservedAt, signal);
        if (reservation.requestHash !== hash) throw idempotencyKeyReused();
        if (reservation.outcome) return replay(reservation.outcome);
        return waitForOutcome(input, hash, signal);
      })();
      running.set(slot, attempt);
      try {
        return await attempt;
      } finally {
        running.delete(slot);
      }
    },
  };
}
