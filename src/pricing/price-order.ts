import { classifyDownstreamError } from '../clients/grpc-checkout-steps.js';
import { FatalError, TransientError } from '../domain/errors.js';
import type { PricedLine, PricedOrder } from '../domain/order.js';
import type { PlaceOrderInput } from '../domain/place-order.js';
import type { DownstreamClients } from '../clients/downstream-clients.js';
import type { Consumer__Output } from '../generated/downstream/v1/Consumer.js';
import type { DeliveryQuote__Output } from '../generated/downstream/v1/DeliveryQuote.js';
import type { Merchant__Output } from '../generated/downstream/v1/Merchant.js';
import type { PaymentMethod__Output } from '../generated/downstream/v1/PaymentMethod.js';
import { dagBuilder } from './dag-builder.js';
import { DagTimeoutError, type DagMode, type RunOptions, type RunTimings } from './dag.js';
import {
  consumerProblems, merchantProblems, paymentMethodProblems, priceLines, quoteProblems, type Problem,
} from './order-problems.js';
import { rejectionFor } from './rejection.js';

export interface OrderPricerDeps {
  clients: Pick<DownstreamClients, 'catalog' | 'logistics'>;
  /** Deadline of each downstream call, in ms; also each task's deadline. */
  deadlineMs: number;
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
 * Pricing as a dependency graph: the four catalog lookups start at once; the delivery quote
 * waits only for the merchant (its pickup point); pricing the cart waits only for the menu. The
 * payment method lookup is keyed by the consumer id the request already carries, so it does
 * not wait for the consumer. Business problems are values, not failures, so the last task sees
 * them all and rejects once with every one of them.
 */
export function createOrderPricer(deps: OrderPricerDeps): OrderPricer {
  const mode = deps.mode ?? 'concurrent';
  const { catalog, logistics } = deps.clients;
  const call = (signal: AbortSignal) => ({ deadlineMs: deps.deadlineMs, signal });

  const graph = dagBuilder<Given>(['request', 'orderId', 'placedAt'])
    .task('merchant', ['request'], ({ request }, signal) => fetched(catalog.getMerchant({ merchantId: request.merchantId }, call(signal))))
    .task('menu', ['request'], ({ request }, signal) => fetched(catalog.getMenu({ merchantId: request.merchantId }, call(signal))))
    .task('consumer', ['request'], ({ request }, signal) => fetched(catalog.getConsumer({ consumerId: request.consumerId }, call(signal))))
    .task('paymentMethod', ['request'], ({ request }, signal) => fetched(catalog.getPaymentMethod(
      { consumerId: request.consumerId, paymentMethodId: request.paymentMethodId }, call(signal))))
    .task('quote', ['request', 'merchant'], async ({ request, merchant }, signal) => {
      // Without a merchant there is no pickup point to quote from; the missing merchant is the problem.
      if (!merchant.found || !merchant.location) return undefined;
      const { lat, lng, postalCode } = request.address;
      return fetched(logistics.quoteDelivery({ merchantId: request.merchantId, pickup: merchant.location, dropoff: { lat, lng }, postalCode }, call(signal)));
    })
    .task('lines', ['request', 'menu'], ({ request, menu }) => priceLines(request.lines, menu))
    .task('order', ['request', 'orderId', 'placedAt', 'merchant', 'lines', 'consumer', 'paymentMethod', 'quote'], (facts) => assemble(facts))
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
  quote: DeliveryQuote__Output | undefined;
}

/** The priced order, or one rejection listing every problem, most fundamental first. */
function assemble(f: Facts): PricedOrder {
  const { request, merchant, consumer, quote } = f;
  const problems = [
    ...consumerProblems(request.consumerId, consumer),
    ...merchantProblems(request.merchantId, merchant, f.placedAt),
    // An unknown merchant has no menu: that is one problem, not one per item.
    ...(merchant.found ? f.lines.problems : []),
    ...(quote ? quoteProblems(quote, merchant.name) : []),
    // Payment methods are looked up under the consumer, so an unknown consumer has none: one problem.
    ...(consumer.found ? paymentMethodProblems(request.paymentMethodId, f.paymentMethod) : []),
  ];
  if (problems.length > 0) throw rejectionFor(problems);
  if (!merchant.location || !quote) {
    throw new FatalError('MERCHANT_LOCATION_UNKNOWN', 'We cannot arrange delivery from this restaurant right now. Choose another restaurant.');
  }
  const deliveryFeeMinor = quote.fee?.minor ?? 0;
  if (quote.fee && quote.fee.currency !== merchant.currency) {
    // Adding amounts in two currencies would charge a wrong total; refuse rather than guess a rate.
    throw new FatalError('CURRENCY_MISMATCH', 'We could not price this order. Please try again later.', `delivery fee in ${quote.fee.currency}, menu in ${merchant.currency}`);
  }
  const subtotalMinor = f.lines.lines.reduce((sum, l) => sum + l.quantity * l.unitPriceMinor, 0);
  return {
    orderId: f.orderId,
    consumerId: request.consumerId,
    merchantId: request.merchantId,
    paymentMethodId: request.paymentMethodId,
    currency: merchant.currency,
    lines: f.lines.lines,
    subtotalMinor,
    deliveryFeeMinor,
    tipMinor: request.tipMinor,
    totalMinor: subtotalMinor + deliveryFeeMinor + request.tipMinor,
    address: request.address,
    pickup: { lat: merchant.location.lat, lng: merchant.location.lng },
    placedAt: f.placedAt,
  };
}
