import * as grpc from '@grpc/grpc-js';
import type { CheckoutServiceClient } from '../../../src/generated/checkout/v1/CheckoutService.js';
import type { CancelOrderResponse__Output } from '../../../src/generated/checkout/v1/CancelOrderResponse.js';
import type { PlaceOrderRequest } from '../../../src/generated/checkout/v1/PlaceOrderRequest.js';
import type { PlaceOrderResponse__Output } from '../../../src/generated/checkout/v1/PlaceOrderResponse.js';
import type { Random } from '../downstream/random.js';
import { placeRequest } from '../../../src/load/demo-orders.js';
import { checkoutClient } from '../../../src/clients/checkout-client.js';

/*
 * An open-loop PlaceOrder load over a cluster's gRPC edges, as clients under chaos behave: a
 * call that fails because its node died (or is busy with the key) is retried on another node
 * with the SAME idempotency key. An order counts as accepted only by the order id an edge
 * returned. No vitest here: `cluster/bench/chaos-long.ts` uses it too.
 */

/** A node as the load sees it (a ClusterNode fits): up while it has a process. */
export interface LoadNode {
  readonly id: string;
  readonly process?: unknown;
  readonly grpcAddress?: string;
}

export interface ChaosLoadOptions {
  nodes(): readonly LoadNode[];
  token(consumerId: string): Promise<string>;
  orders: number;
  ratePerSec: number;
  /** Orders are spread over this many consumers (c-chaos-1 …). */
  consumers?: number;
  /** Share of accepted orders cancelled a little later, through a random node. */
  cancelFraction?: number;
  cancelDelayMs?: [number, number];
  attemptDeadlineMs?: number;
  /** A key still unanswered after this long is given up (reported as unresolved). */
  giveUpAfterMs?: number;
  random?: Random;
  onAccepted?(order: PlacedOrder): void;
}

export interface Attempt { node: string; ms: number; code?: grpc.status; detail?: string }

export interface PlacedOrder {
  key: string;
  consumerId: string;
  /** accepted: an edge returned the order id; rejected: a non-retryable answer; unresolved: given up. */
  outcome: 'accepted' | 'rejected' | 'unresolved';
  orderId?: string;
  attempts: Attempt[];
  /** From the first call to the answer, retries included. */
  placeMs: number;
  /** A cancel asked for: the status it was answered with and when, or the error it gave up on. */
  cancel?: { requestedAt: number; answeredAt?: number; status?: string; error?: string };
}

export interface LoadProgress { sent: number; accepted: number; rejected: number; unresolved: number; inFlight: number; retries: number }

export interface ChaosLoad {
  /** Every key, once each is answered or given up (and requested cancels answered). */
  done: Promise<PlacedOrder[]>;
  progress(): LoadProgress;
  /** Sends no more orders and gives up retries (they end unresolved); `done` then resolves soon. */
  stop(): void;
}

/** Codes a client may retry with the same key: the node died, timed out, or is still working on the key. */
const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.ABORTED, grpc.status.CANCELLED]);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function startChaosLoad(opts: ChaosLoadOptions): ChaosLoad {
  const random = opts.random ?? Math.random;
  const consumers = opts.consumers ?? 8;
  const attemptDeadlineMs = opts.attemptDeadlineMs ?? 5_000;
  const giveUpAfterMs = opts.giveUpAfterMs ?? 90_000;
  const [cancelMin, cancelMax] = opts.cancelDelayMs ?? [0, 1_000];
  const channels = new Map<string, CheckoutServiceClient>();
  const tokens = new Map<string, Promise<string>>();
  let stopped = false;
  const counts = { sent: 0, accepted: 0, rejected: 0, unresolved: 0, inFlight: 0, retries: 0 };

  const clientFor = (address: string) => {
    let c = channels.get(address);
    if (!c) channels.set(address, (c = checkoutClient(address)));
    return c;
  };
  const metadataFor = async (consumerId: string) => {
    let token = tokens.get(consumerId);
    if (!token) tokens.set(consumerId, (token = opts.token(consumerId)));
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${await token}`);
    return md;
  };
  const upNodes = () => opts.nodes().filter((n) => n.process && n.grpcAddress);
  /** The `preferred`-th node that is up, skipping `avoid` when another is up. */
  const pickNode = (preferred: number, avoid?: string): LoadNode | undefined => {
    const up = upNodes();
    const choices = up.length > 1 && avoid ? up.filter((n) => n.id !== avoid) : up;
    return choices[preferred % Math.max(1, choices.length)];
  };

  type Callback<Res> = (err: grpc.ServiceError | null, res?: Res) => void;
  const callOn = <Res>(node: LoadNode, deadlineMs: number, invoke: (c: CheckoutServiceClient, o: grpc.CallOptions, cb: Callback<Res>) => void) =>
    new Promise<Res>((resolve, reject) => {
      invoke(clientFor(node.grpcAddress!), { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res as Res)));
    });

  const cancelLater = async (placed: PlacedOrder, md: grpc.Metadata) => {
    await sleep(cancelMin + random() * (cancelMax - cancelMin));
    placed.cancel = { requestedAt: Date.now() };
    let last: grpc.ServiceError | undefined;
    for (let i = 0; i < 10; i++) {
      const node = pickNode(Math.floor(random() * 1_000));
      if (!node) { await sleep(200); continue; }
      try {
        const res = await callOn<CancelOrderResponse__Output>(node, 6_000, (c, o, cb) => c.cancelOrder({ orderId: placed.orderId, reason: 'chaos: changed my mind' }, md, o, cb));
        placed.cancel.status = res.status;
        placed.cancel.answeredAt = Date.now();
        return;
      } catch (err) {
        last = err as grpc.ServiceError;
        if (!RETRYABLE.has(last.code)) break;
        await sleep(200 * (i + 1));
      }
    }
    placed.cancel.error = `${last?.code}: ${last?.details}`;
  };

  const placeOne = async (index: number): Promise<PlacedOrder> => {
    const consumerId = `c-chaos-${(index % consumers) + 1}`;
    const request: PlaceOrderRequest = placeRequest(consumerId);
    const placed: PlacedOrder = { key: request.idempotencyKey!, consumerId, outcome: 'unresolved', attempts: [], placeMs: 0 };
    const md = await metadataFor(consumerId);
    const t0 = Date.now();
    let avoid: string | undefined;
    counts.sent += 1;
    counts.inFlight += 1;
    try {
      for (let attempt = 0; !stopped && Date.now() - t0 < giveUpAfterMs; attempt++) {
        const node = pickNode(index + attempt, avoid);
        if (!node) { await sleep(100); continue; }
        if (attempt > 0) counts.retries += 1;
        const a0 = Date.now();
        try {
          const res = await callOn<PlaceOrderResponse__Output>(node, attemptDeadlineMs, (c, o, cb) => c.placeOrder(request, md, o, cb));
          placed.attempts.push({ node: node.id, ms: Date.now() - a0 });
          placed.outcome = 'accepted';
          placed.orderId = res.orderId;
          opts.onAccepted?.(placed);
          break;
        } catch (err) {
          const e = err as grpc.ServiceError;
          placed.attempts.push({ node: node.id, ms: Date.now() - a0, code: e.code, detail: e.details });
          if (!RETRYABLE.has(e.code)) { placed.outcome = 'rejected'; break; }
          avoid = node.id;
          await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 4)) * (0.5 + random()));
        }
      }
    } finally {
      placed.placeMs = Date.now() - t0;
      counts.inFlight -= 1;
      counts[placed.outcome] += 1;
    }
    if (placed.outcome === 'accepted' && random() < (opts.cancelFraction ?? 0)) await cancelLater(placed, md);
    return placed;
  };

  const done = (async () => {
    const intervalMs = 1_000 / opts.ratePerSec;
    const start = Date.now();
    const running: Array<Promise<PlacedOrder>> = [];
    for (let i = 0; i < opts.orders && !stopped; i++) {
      const due = start + i * intervalMs;
      if (due > Date.now()) await sleep(due - Date.now());
      running.push(placeOne(i));
    }
    try {
      return await Promise.all(running);
    } finally {
      for (const c of channels.values()) c.close();
    }
  })();

  return { done, progress: () => ({ ...counts }), stop: () => { stopped = true; } };
}
