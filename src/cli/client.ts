import * as grpc from '@grpc/grpc-js';
import type { CancelOrderResponse__Output } from '../generated/checkout/v1/CancelOrderResponse.js';
import type { CheckoutServiceClient } from '../generated/checkout/v1/CheckoutService.js';
import type { Order__Output } from '../generated/checkout/v1/Order.js';
import type { PlaceOrderRequest } from '../generated/checkout/v1/PlaceOrderRequest.js';
import type { PlaceOrderResponse__Output } from '../generated/checkout/v1/PlaceOrderResponse.js';
import { checkoutClient } from '../clients/checkout-client.js';
import type { LoadCalls } from '../load/checkout-load.js';
import type { Credentials } from './credentials.js';

/** The CheckoutService as the CLI and the load use it: promises, a bearer token per call, deadlines. */
export interface CheckoutCli {
  place(request: PlaceOrderRequest): Promise<PlaceOrderResponse__Output>;
  get(orderId: string): Promise<Order__Output>;
  /** Streams the order's changes to `onUpdate` until it is terminal; resolves with the last one. */
  watch(orderId: string, onUpdate?: (order: Order__Output) => void, timeoutMs?: number): Promise<Order__Output | undefined>;
  cancel(orderId: string, reason: string): Promise<CancelOrderResponse__Output>;
  /** The same calls shaped for `startCheckoutLoad`. */
  loadCalls(watchTimeoutMs?: number): LoadCalls;
  /** Cancels the streams still open (a channel's close would let them run on) and closes the channel. */
  close(): void;
}

export interface CheckoutCliOptions {
  address: string;
  credentials: Credentials;
  /** Deadline of a unary call, ms. */
  deadlineMs: number;
}

export function createCheckoutCli(opts: CheckoutCliOptions): CheckoutCli {
  const client: CheckoutServiceClient = checkoutClient(opts.address);
  const bearer = (token: string) => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    return md;
  };
  const streams = new Set<grpc.ClientReadableStream<Order__Output>>();
  const options = (ms = opts.deadlineMs): grpc.CallOptions => ({ deadline: Date.now() + ms });
  const unary = <Res>(invoke: (cb: (err: grpc.ServiceError | null, res?: Res) => void) => void): Promise<Res> =>
    new Promise((resolve, reject) => invoke((err, res) => (err ? reject(err) : resolve(res as Res))));

  const place = async (request: PlaceOrderRequest) => {
    const md = bearer(await opts.credentials.forConsumer(request.consumerId ?? ''));
    return unary<PlaceOrderResponse__Output>((cb) => client.placeOrder(request, md, options(), cb));
  };
  const watch = async (orderId: string, onUpdate?: (o: Order__Output) => void, timeoutMs?: number, token?: string) => {
    const md = bearer(token ?? (await opts.credentials.forOrders()));
    const stream = client.watchOrder({ orderId }, md, timeoutMs ? options(timeoutMs) : {});
    streams.add(stream);
    return new Promise<Order__Output | undefined>((resolve, reject) => {
      let last: Order__Output | undefined;
      stream.on('data', (o: Order__Output) => { last = o; onUpdate?.(o); });
      stream.on('error', (err) => { streams.delete(stream); reject(err); });
      stream.on('end', () => { streams.delete(stream); resolve(last); });
    });
  };
  const cancel = async (orderId: string, reason: string, token?: string) => {
    const md = bearer(token ?? (await opts.credentials.forOrders()));
    return unary<CancelOrderResponse__Output>((cb) => client.cancelOrder({ orderId, reason }, md, options(), cb));
  };

  return {
    place,
    async get(orderId) {
      const md = bearer(await opts.credentials.forOrders());
      return unary<Order__Output>((cb) => client.getOrder({ orderId }, md, options(), cb));
    },
    watch: (orderId, onUpdate, timeoutMs) => watch(orderId, onUpdate, timeoutMs),
    cancel: (orderId, reason) => cancel(orderId, reason),
    loadCalls: (watchTimeoutMs = 60_000) => ({
      place,
      // The consumer's own token: a load may run with consumer tokens only.
      async watchToTerminal(orderId, consumerId) {
        const last = await watch(orderId, undefined, watchTimeoutMs, await opts.credentials.forConsumer(consumerId));
        return last?.status ?? 'UNKNOWN';
      },
      async cancel(orderId, consumerId) {
        return cancel(orderId, 'load: cancelled by the load generator', await opts.credentials.forConsumer(consumerId));
      },
    }),
    close() {
      for (const s of streams) s.cancel();
      client.close();
    },
  };
}
