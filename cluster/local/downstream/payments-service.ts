import type { PaymentsServiceHandlers } from '../../../src/generated/downstream/v1/PaymentsService.js';
import type { FaultContext } from './faults.js';
import { mutationHandler, type Runtime } from './operation-handler.js';
import type { PaymentsBook } from './payments-book.js';
import { optionalAmount, requireAmount, requireEither, requireText } from './validate.js';
import { cardLast4 } from './world.js';

/** payments.v1 over gRPC: validation and fault matching here, the money rules in the book. */
export function paymentsHandlers(runtime: Runtime, book: PaymentsBook): PaymentsServiceHandlers {
  const aboutAuthorization = (req: { orderId: string; authorizationId: string; authorizeIdempotencyKey: string }): FaultContext => {
    const auth = book.authorizationFor(req);
    return { orderId: req.orderId, ...(auth ? { consumerId: auth.consumerId, cardLast4: auth.cardLast4 } : {}) };
  };

  return {
    Authorize: mutationHandler(runtime, {
      operation: 'payments.Authorize',
      keys: book.keys.authorize,
      fatalFaults: true,
      validate(req) {
        requireText(req.consumerId, 'consumer_id');
        requireText(req.paymentMethodId, 'payment_method_id');
        requireAmount(req.amount, 'amount');
      },
      faultContext: (req) => ({ orderId: req.orderId, consumerId: req.consumerId, cardLast4: cardLast4(req.paymentMethodId) }),
      apply: (req) => book.authorize(req),
    }),
    Capture: mutationHandler(runtime, {
      operation: 'payments.Capture',
      keys: book.keys.capture,
      fatalFaults: true,
      validate(req) {
        requireEither(req.authorizationId, 'authorization_id', req.authorizeIdempotencyKey, 'authorize_idempotency_key');
        optionalAmount(req.amount, 'amount');
      },
      faultContext: (req) => aboutAuthorization(req),
      apply: (req) => book.capture(req),
    }),
    Void: mutationHandler(runtime, {
      operation: 'payments.Void',
      keys: book.keys.void,
      fatalFaults: false,
      validate: (req) => requireEither(req.authorizationId, 'authorization_id', req.authorizeIdempotencyKey, 'authorize_idempotency_key'),
      faultContext: (req) => aboutAuthorization(req),
      apply: (req) => book.void(req),
    }),
    Refund: mutationHandler(runtime, {
      operation: 'payments.Refund',
      keys: book.keys.refund,
      fatalFaults: false,
      validate(req) {
        requireEither(req.captureId, 'capture_id', req.captureIdempotencyKey, 'capture_idempotency_key');
        optionalAmount(req.amount, 'amount');
      },
      faultContext: (req) => ({ orderId: req.orderId }),
      apply: (req) => book.refund(req),
    }),
  };
}
