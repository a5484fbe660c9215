import { classifyDownstreamError } from '../clients/grpc-checkout-steps.js';
import { FatalError, TransientError } from '../domain/errors.js';
import type { FallbackTaken } from '../domain/fallbacks.js';
import type { PricedLine, PricedOrder } from '../domain/order.js';
import type { PlaceOrderInput } from '../domain/place-order.js';
import type { DownstreamClients } from '../clients/downstream-clients.js';
import type { Consumer__Output } from '../generated/downstream/v1/Consumer.js';
import type { Merchant__Output } from '../generated/downstream/v1/Merchant.js';
import type { PaymentMethod__Output } from '../generated/downstream/v1/PaymentMethod.js';
import { DEFAULT_FALLBACK_SETTINGS, type FallbackSettings } from '../resilience/fallback-settings.js';
import { dagBuilder } from './dag-builder.js';
import { DagTimeoutError, type DagMode, type RunOptions, type RunTimings } from './dag.js';
import {
  consumerProblems, merchantProblems, paymentMethodProblems, priceLines, quoteProblems, type Problem,
} from './order-problems.js';
import { rejectionFor } from './rejection.js';
import { deliveryTermsOf, discountOf, type PromotionFact, type QuoteFact } from './pricing-fallbacks.js';
import { budgetMs, fetchUnderPolicy, pricingPolicy, type PricingDependency } from './pricing-policy.js';

export interface OrderPricerDeps {
  clients: Pick<DownstreamClients, 'catalog' | 'logistics'>;
  /** The longest deadline of any one downstream call, in ms (each dependency's policy may ask less). */
  deadlineMs: number;
  /** Which default fallbacks pricing may take, and their limits; all on by default. */
  fallbacks?: FallbackSettings;
  /** Wall clock (epoch ms): the order's placedAt, and "is the opening time today". */
  clock: () => number;
  /** Default `concurrent`; `sequential` runs the same graph one task at a time. */
  mode?: DagMode;
  /** Wraps every task of one order's pricing (e.g. a benchmark's storage access around each step). */
  aroundTasks?: (orderId: string) => NonNullable<RunOptions['around']>;
  /** Monotonic clock for the timings; performance.now by default. */
  timer?: () => number;
}

export interface PriceOptions {
  /** The caller gave up (the request was cancelled): stop fetching. */
  signal?: AbortSignal;
  /** For the whole pricing, e.g. what is left of the request's deadline. */
  deadlineMs?: number;
}

export interface PricingResult {
  order: PricedOrder;
  timings: RunTimings;
}

export interface OrderPricer {
  /** The graph's tasks in the order a sequential run takes them. */
  readonly steps: readonly string[];
  /**
   * Rejects with a BusinessRejection naming every problem found, a TransientError when a
   * dependency is slow or unavailable (worth retrying), or a FatalError for anything else.
   */
  price(input: PlaceOrderInput, orderId: string, opts?: PriceOptions): Promise<PricingResult>;
}

type Given = { request: PlaceOrderInput; orderId: string; placedAt: number };

/**
 * Pricing as a dependency graph: the five catalog lookups start at once; the delivery quote
 * waits only for the merchant (its pickup point); pricing the cart waits only for the menu. The
 * payment method lookup is keyed by the consumer id the request already carries, so it does
 * not wait for the consumer. Business problems are values, not failures, so the last task sees
 * them all and rejects once with every one of them. Each lookup runs under its dependency's
 * policy (pricing-policy.ts): a critical one that stays down rejects the order as retryable; the
 * promotion and the quote fall back to their documented defaults, recorded in the priced order.
 */
export function createOrderPricer(deps: OrderPricerDeps): OrderPricer {
  const mode = deps.mode ?? 'concurrent';
  const settings = deps.fallbacks ?? DEFAULT_FALLBACK_SETTINGS;
  const { catalog, logistics } = deps.clients;
  type Call = { deadlineMs: number; signal: AbortSignal };
  const within = (dep: PricingDependency) => ({ deadlineMs: budgetMs(pricingPolicy[dep], Math.min(pricingPolicy[dep].deadlineMs, deps.deadlineMs)) });

  /** A critical dependency: its answer, or (budget spent, or a fatal answer) the order is not priced. */
  const needed = async <T>(dep: PricingDependency, signal: AbortSignal, call: (o: Call) => Promise<T>): Promise<T> => {
    const result = await fetchUnderPolicy(pricingPolicy[dep], deps.deadlineMs, signal, (o) => fetched(call(o)));
    if (result.ok) return result.value;
    throw result.stop === 'abandoned' ? new TransientError(`${dep} lookup abandoned`) : result.error;
  };
  /** A dependency with a fallback: its answer, or why it stayed unavailable (only when the fallback is on). */
  const wanted = async <T>(dep: PricingDependency, enabled: boolean, signal: AbortSignal, call: (o: Call) => Promise<T>) => {
    const result = await fetchUnderPolicy(pricingPolicy[dep], deps.deadlineMs, signal, (o) => fetched(call(o)));
    if (result.ok) return { ok: true as const, value: result.value };
    if (result.stop === 'abandoned') throw new TransientError(`${dep} lookup abandoned`);
    if (result.stop === 'exhausted' && enabled) return { ok: false as const, why: `${result.attempts} attempts failed, last: ${errorText(result.error)}` };
    throw result.error;
  };

  const graph = dagBuilder<Given>(['request', 'orderId', 'placedAt'])
    .task('merchant', ['request'], ({ request }, signal) => needed('merchant', signal, (o) => catalog.getMerchant({ merchantId: request.merchantId }, o)), within('merchant'))
    .task('menu', ['request'], ({ request }, signal) => needed('menu', signal, (o) => catalog.getMenu({ merchantId: request.merchantId }, o)), within('menu'))
    .task('consumer', ['request'], ({ request }, signal) => needed('consumer', signal, (o) => catalog.getConsumer({ consumerId: request.consumerId }, o)), within('consumer'))
    .task('paymentMethod', ['request'], ({ request }, signal) => needed('paymentMethod', signal, (o) => catalog.getPaymentMethod(
      { consumerId: request.consumerId, paymentMethodId: request.paymentMethodId }, o)), within('paymentMethod'))
    .task('promotion', ['request'], async ({ request }, signal): Promise<PromotionFact> => {
      const got = await wanted('promotion', settings.promotions.enabled, signal,
        (o) => catalog.getPromotion({ consumerId: request.consumerId, merchantId: request.merchantId }, o));
      return got.ok ? { kind: 'confirmed', promotion: got.value } : { kind: 'unavailable', why: got.why };
    }, within('promotion'))
    .task('quote', ['request', 'merchant'], async ({ request, merchant }, signal): Promise<QuoteFact | undefined> => {
      // Without a merchant there is no pickup point to quote from; the missing merchant is the problem.
      if (!merchant.found || !merchant.location) return undefined;
      const pickup = merchant.location;
      const { lat, lng, postalCode } = request.address;
      const got = await wanted('quote', settings.deliveryQuote.enabled, signal,
        (o) => logistics.quoteDelivery({ merchantId: request.merchantId, pickup, dropoff: { lat, lng }, postalCode }, o));
      return got.ok ? { kind: 'quoted', quote: got.value } : { kind: 'unavailable', why: got.why };
    }, within('quote'))
    .task('lines', ['request', 'menu'], ({ request, menu }) => priceLines(request.lines, menu))
    .task('order', ['request', 'orderId', 'placedAt', 'merchant', 'lines', 'consumer', 'paymentMethod', 'promotion', 'quote'],
      (facts) => assemble(facts, settings))
    .build(deps.timer ? { now: deps.timer } : {});

  return {
    steps: graph.order,
    async price(input, orderId, opts = {}) {
      const placedAt = deps.clock();
      try {
        const run = await graph.run({ request: input, orderId, placedAt }, {
          mode,
          taskDeadlineMs: deps.deadlineMs,
          ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(deps.aroundTasks ? { around: deps.aroundTasks(orderId) } : {}),
        });
        return { order: run.outputs.order, timings: run.timings };
      } catch (err) {
        throw err instanceof DagTimeoutError ? new TransientError(`pricing order ${orderId}: ${err.message}`, err) : err;
      }
    },
  };
}

/** A downstream failure in the shared taxonomy: transient (retry) or fatal. */
async function fetched<T>(response: Promise<T>): Promise<T> {
  try {
    return await response;
  } catch (err) {
    throw classifyDownstreamError(err);
  }
}

interface Facts extends Given {
  merchant: Merchant__Output;
  lines: { lines: PricedLine[]; problems: Problem[] };
  consumer: Consumer__Output;
  paymentMethod: PaymentMethod__Output;
  promotion: PromotionFact;
  quote: QuoteFact | undefined;
}

/** The priced order, or one rejection listing every problem, most fundamental first. */
function assemble(f: Facts, settings: FallbackSettings): PricedOrder {
  const { request, merchant, consumer } = f;
  const delivery = f.quote && deliveryTermsOf(f.quote, merchant, request.address, settings.deliveryQuote);
  if (f.quote?.kind === 'unavailable' && !delivery) {
    // No zone default to fall back to: without a fee the order cannot be priced, so it is retried later.
    throw new TransientError(`delivery quote unavailable and ${request.merchantId} has no zone default: ${f.quote.why}`);
  }
  const problems = [
    ...consumerProblems(request.consumerId, consumer),
    ...merchantProblems(request.merchantId, merchant, f.placedAt),
    // An unknown merchant has no menu: that is one problem, not one per item.
    ...(merchant.found ? f.lines.problems : []),
    ...(delivery ? quoteProblems(delivery.quote, merchant.name) : []),
    // Payment methods are looked up under the consumer, so an unknown consumer has none: one problem.
    ...(consumer.found ? paymentMethodProblems(request.paymentMethodId, f.paymentMethod) : []),
  ];
  if (problems.length > 0) throw rejectionFor(problems);
  if (!merchant.location || !delivery) {
    throw new FatalError('MERCHANT_LOCATION_UNKNOWN', 'We cannot arrange delivery from this restaurant right now. Choose another restaurant.');
  }
  if (delivery.feeCurrency !== merchant.currency) {
    // Adding amounts in two currencies would charge a wrong total; refuse rather than guess a rate.
    throw new FatalError('CURRENCY_MISMATCH', 'We could not price this order. Please try again later.', `delivery fee in ${delivery.feeCurrency}, menu in ${merchant.currency}`);
  }
  const subtotalMinor = f.lines.lines.reduce((sum, l) => sum + l.quantity * l.unitPriceMinor, 0);
  const discount = discountOf(f.promotion, subtotalMinor, merchant.currency);
  const fallbacks: FallbackTaken[] = [discount.fallback, delivery.fallback]
    .filter((x): x is Omit<FallbackTaken, 'at'> => x !== undefined)
    .map((x) => ({ ...x, at: f.placedAt }));
  return {
    orderId: f.orderId,
    consumerId: request.consumerId,
    merchantId: request.merchantId,
    paymentMethodId: request.paymentMethodId,
    currency: merchant.currency,
    lines: f.lines.lines,
    subtotalMinor,
    ...(discount.discountMinor > 0 ? { discountMinor: discount.discountMinor } : {}),
    ...(discount.promotionId ? { promotionId: discount.promotionId } : {}),
    deliveryFeeMinor: delivery.feeMinor,
    etaMinutes: delivery.etaMinutes,
    tipMinor: request.tipMinor,
    totalMinor: subtotalMinor - discount.discountMinor + delivery.feeMinor + request.tipMinor,
    address: request.address,
    pickup: { lat: merchant.location.lat, lng: merchant.location.lng },
    placedAt: f.placedAt,
    ...(delivery.estimated.length > 0 ? { estimated: delivery.estimated } : {}),
    ...(fallbacks.length > 0 ? { fallbacks } : {}),
  };
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
