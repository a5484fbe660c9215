import * as grpc from '@grpc/grpc-js';
import type { CheckoutServiceClient } from '../generated/checkout/v1/CheckoutService.js';
import { loadCheckoutProto } from '../grpc/protos.js';

const checkoutProto = loadCheckoutProto();

/**
 * A client of the checkout's gRPC edge. With a token, every call carries it as a bearer header
 * (call credentials need TLS in grpc-js; an interceptor adds the header on a plaintext channel).
 * Plaintext unless given TLS channel credentials (a node with TLS_CERT_FILE).
 */
export function checkoutClient(address: string, token?: string, credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()): CheckoutServiceClient {
  const interceptors: grpc.Interceptor[] = token ? [(options, next) => new grpc.InterceptingCall(next(options), {
    start(metadata, listener, nextStart) {
      metadata.set('authorization', `Bearer ${token}`);
      nextStart(metadata, listener);
    },
  })] : [];
  return new checkoutProto.grpc.checkout.v1.CheckoutService(address, credentials, { interceptors });
}
