import type { PlaceOrderRequest } from '../generated/checkout/v1/PlaceOrderRequest.js';
import { demoPlaceRequest } from './demo-orders.js';
import { runOpenLoop, type OpenLoopReport, type OpenLoopResult } from './open-loop.js';
import { classifyFailure, type LoadOutcome, type OrderSample } from './load-outcomes.js';

/*
 * A checkout load: open-loop PlaceOrder arrivals (src/load/open-loop.ts), each followed to its
 * terminal status over WatchOrder. Latencies are taken from the scheduled arrival, so a slow
 * cluster shows the wait a real client would see. Used by `checkout load` and `npm start`.
 */

/** The calls a load makes; the CLI implements them over gRPC, unit tests with fakes. */
export interface LoadCalls {
  place(request: PlaceOrderRequest): Promise<{ orderId: string }>;
  /** Resolves with the order's terminal status (COMPLETED, FAILED, CANCELLED). */
  watchToTerminal(orderId: string, consumerId: string): Promise<string>;
  cancel(orderId: string, consumerId: string): Promise<unknown>;
}

export interface CheckoutLoadOptions {
  calls: LoadCalls;
  consumers: readonly string[];
  ratePerSec: number;
  /** Infinity: arrivals go on until stop(). */
  durationMs: number;
  /** Share of accepted orders the load cancels right after acceptance (0 … 1). */
  cancelFraction?: number;
  maxInFlight?: number;
  random?: () => number;
  clock?: () => number;
}

export interface LoadProgress {
  /** Arrivals expected in all (undefined for an endless load). */
  expected?: number;
  sent: number;
  placed: number;
  completed: number;
  failed: number;
  cancelled: number;
  rejected: number;
  errors: number;
  inFlight: number;
  /** Orders accepted per second over the last few seconds. */
  placedPerSec: number;
}

export interface LoadReport {
  samples: OrderSample[];
  dropped: number;
  elapsedMs: number;
  achievedRatePerSec: number;
}

export interface CheckoutLoad {
  done: Promise<LoadReport>;
  progress(): LoadProgress;
  /** No more arrivals; `done` resolves once the calls in flight settle. */
  stop(): void;
}

/** An endless load runs as back-to-back open-loop windows of this length. */
const WINDOW_MS = 10_000;
const RATE_WINDOW_MS = 5_000;

export function startCheckoutLoad(opts: CheckoutLoadOptions): CheckoutLoad {
  if (opts.consumers.length === 0) throw new RangeError('a load needs at least one consumer');
  const clock = opts.clock ?? (() => performance.now());
  const random = opts.random ?? Math.random;
  const cancelFraction = opts.cancelFraction ?? 0;
  const endless = !Number.isFinite(opts.durationMs);
  const counts: Record<LoadOutcome, number> = { COMPLETED: 0, FAILED: 0, CANCELLED: 0, rejected: 0, error: 0 };
  const ackTimes: number[] = [];
  const started = clock();
  let sent = 0;
  let placed = 0;
  let inFlight = 0;
  let next = 0;
  let stopped = false;
  let wake: () => void = () => undefined;
  const stoppedSignal = new Promise<void>((resolve) => { wake = resolve; });

  /** One arrival: place, maybe cancel, watch to the end. Never rejects: failures are outcomes. */
  const fire = async (): Promise<OrderSample | undefined> => {
    if (stopped) return undefined;
    const index = next++;
    const consumerId = opts.consumers[index % opts.consumers.length]!;
    sent++;
    inFlight++;
    let ackAt: number | undefined;
    try {
      const { orderId } = await opts.calls.place(demoPlaceRequest(index, consumerId));
      ackAt = clock();
      placed++;
      ackTimes.push(ackAt);
      if (random() < cancelFraction) void opts.calls.cancel(orderId, consumerId).catch(() => undefined);
      const status = await opts.calls.watchToTerminal(orderId, consumerId);
      const outcome: LoadOutcome = status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED' ? status : 'error';
      return { outcome, ackAt, doneAt: clock(), ...(outcome === 'error' ? { detail: `watch ended at ${status}` } : {}) };
    } catch (err) {
      return { ...classifyFailure(err, ackAt !== undefined), ...(ackAt !== undefined ? { ackAt } : {}) };
    } finally {
      inFlight--;
    }
  };

  const samples: OrderSample[] = [];
  const settle = (result: OpenLoopResult<OrderSample | undefined>) => {
    const sample = result.value;
    if (!sample) return;
    // Latencies from the scheduled arrival (the loop's clock is ours), not from when the call went out.
    const timed: OrderSample = { ...sample };
    if (sample.ackAt !== undefined) timed.ackMs = sample.ackAt - result.scheduledAt;
    if (sample.doneAt !== undefined) timed.endToEndMs = sample.doneAt - result.scheduledAt;
    counts[sample.outcome]++;
    samples.push(timed);
  };

  const window = (durationMs: number) => runOpenLoop({
    ratePerSec: opts.ratePerSec, durationMs, clock, maxInFlight: opts.maxInFlight, fire, onSettled: settle,
  });

  /** After stop(): the calls in flight settle; the open loop's remaining schedule is not waited out. */
  const drained = async () => {
    await stoppedSignal;
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  };

  const run = async (): Promise<LoadReport> => {
    const reports: Array<Promise<OpenLoopReport<OrderSample | undefined>>> = [];
    if (!endless) {
      reports.push(window(opts.durationMs));
    } else {
      while (!stopped) {
        reports.push(window(WINDOW_MS));
        await Promise.race([new Promise((r) => setTimeout(r, WINDOW_MS)), stoppedSignal]);
      }
    }
    const done = await Promise.race([Promise.all(reports), drained().then(() => undefined)]);
    const elapsedMs = clock() - started;
    return {
      samples,
      dropped: done?.reduce((n, r) => n + r.dropped, 0) ?? 0,
      elapsedMs,
      achievedRatePerSec: !endless && done?.[0] ? done[0].achievedRatePerSec : elapsedMs > 0 ? (sent / elapsedMs) * 1000 : 0,
    };
  };

  return {
    done: run(),
    progress() {
      const now = clock();
      while (ackTimes.length && ackTimes[0]! < now - RATE_WINDOW_MS) ackTimes.shift();
      const span = Math.min(RATE_WINDOW_MS, Math.max(now - started, 1));
      return {
        ...(endless ? {} : { expected: Math.floor((opts.durationMs / 1000) * opts.ratePerSec) }),
        sent, placed, inFlight,
        completed: counts.COMPLETED, failed: counts.FAILED, cancelled: counts.CANCELLED, rejected: counts.rejected, errors: counts.error,
        placedPerSec: (ackTimes.length / span) * 1000,
      };
    },
    stop() {
      stopped = true;
      wake();
    },
  };
}
