import { status } from '@grpc/grpc-js';
import type { CheckoutSteps } from '../domain/checkout-steps.js';
import { TransientError } from '../domain/errors.js';
import { fatalFromReason } from '../domain/failure-reasons.js';
import type { PricedOrder } from '../domain/order.js';
import { DownstreamCallError } from './downstream-call-error.js';
import type { DownstreamClients } from './downstream-clients.js';

// CANCELLED: only this side cancels a call (its caller left, a sibling fetch failed); the service never said no.
const TRANSIENT_CODES = new Set<number>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.ABORTED, status.CANCELLED]);

// INTERNAL / UNKNOWN without the service's ErrorInfo: grpc-js says so of a broken stream or connection
// (a protocol error, a reset while a link heals); whether the call applied is unknown, so it is retried.
const TRANSPORT_CODES = new Set<number>([status.INTERNAL, status.UNKNOWN]);

/**
 * Maps a downstream failure onto the shared taxonomy: retry it, or fail the order with a reason.
 * Only an answer of the service is a refusal: a fatal classification of an undo means "nothing
 * left to undo", so a transport error taken for one would leave money or a courier behind.
 */
export function classifyDownstreamError(err: unknown): Error {
  if (!(err instanceof DownstreamCallError)) return new TransientError(`downstream call failed: ${String(err)}`, err);
  if (TRANSIENT_CODES.has(err.code)) return new TransientError(err.message, err);
  if (TRANSPORT_CODES.has(err.code) && !err.reason) return new TransientError(err.message, err);
  if (err.code === status.FAILED_PRECONDITION && err.reason) return fatalFromReason(err.reason);
  return fatalFromReason(`DOWNSTREAM_${status[err.code] ?? err.code}`);
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw classifyDownstreamError(err);
  }
}

const amount = (o: PricedOrder) => ({ currency: o.currency, minor: o.totalMinor });

const ticketOf = (o: PricedOrder, key: string) => ({
  idempotencyKey: key, orderId: o.orderId, merchantId: o.merchantId,
  lines: o.lines.map((l) => ({ itemId: l.itemId, name: l.name, quantity: l.quantity, note: l.note })),
});

/** The checkout's steps over the downstream services' gRPC APIs, each call under a deadline. */
export function grpcCheckoutSteps(clients: DownstreamClients, deadlineMs: number): CheckoutSteps {
  const opts = { deadlineMs };
  return {
    assessFraud: (o, key) => call(async () => (await clients.fraud.assess({
      idempotencyKey: key, orderId: o.orderId, consumerId: o.consumerId, amount: amount(o), paymentMethodId: o.paymentMethodId,
    }, opts)).assessmentId),
    authorizePayment: (o, key) => call(async () => (await clients.payments.authorize({
      idempotencyKey: key, orderId: o.orderId, consumerId: o.consumerId, paymentMethodId: o.paymentMethodId, amount: amount(o),
    }, opts)).authorizationId),
    createDelivery: (o, key) => call(async () => (await clients.logistics.createDelivery({
      idempotencyKey: key, orderId: o.orderId, merchantId: o.merchantId, pickup: o.pickup,
      dropoff: { lat: o.address.lat, lng: o.address.lng }, postalCode: o.address.postalCode,
    }, opts)).deliveryId),
    sendToMerchant: (o, key) => call(async () => (await clients.merchant.sendOrder(ticketOf(o, key), opts)).ticketId),
    phoneOrderToMerchant: (o, key) => call(async () => (await clients.merchant.phoneOrder(ticketOf(o, key), opts)).ticketId),
    capturePayment: (o, key, authorizeKey) => call(async () => (await clients.payments.capture({
      idempotencyKey: key, orderId: o.orderId, authorizeIdempotencyKey: authorizeKey, amount: amount(o),
    }, opts)).captureId),
    voidAuthorization: (o, key, authorizeKey) => call(async () => {
      await clients.payments.void({ idempotencyKey: key, orderId: o.orderId, authorizeIdempotencyKey: authorizeKey }, opts);
    }),
    cancelDelivery: (o, key, createKey) => call(async () => {
      await clients.logistics.cancelDelivery({ idempotencyKey: key, orderId: o.orderId, createIdempotencyKey: createKey }, opts);
    }),
    cancelTicket: (o, key, sendKey) => call(async () => {
      await clients.merchant.cancelTicket({ idempotencyKey: key, orderId: o.orderId, sendIdempotencyKey: sendKey }, opts);
    }),
    refundCapture: (o, key, captureKey) => call(async () => {
      await clients.payments.refund({ idempotencyKey: key, orderId: o.orderId, captureIdempotencyKey: captureKey }, opts);
    }),
  };
}
