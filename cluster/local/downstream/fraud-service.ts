import type { AssessResponse } from '../../../src/generated/downstream/v1/AssessResponse.js';
import type { FraudServiceHandlers } from '../../../src/generated/downstream/v1/FraudService.js';
import { failedPrecondition, notFound } from './downstream-errors.js';
import type { KeyStore } from './key-store.js';
import { mutationHandler, type Runtime } from './operation-handler.js';
import { optionalText, requireAmount, requireText } from './validate.js';
import { cardLast4, type World } from './world.js';

/**
 * Approves every order of a known, unblocked consumer; the built-in fault rejects c-fraud.
 * A decision is final for its key, like a real risk engine's.
 */
export function fraudHandlers(runtime: Runtime, deps: { world: World; keys: KeyStore<AssessResponse> }): FraudServiceHandlers {
  let next = 1;
  return {
    Assess: mutationHandler(runtime, {
      operation: 'fraud.Assess',
      keys: deps.keys,
      fatalFaults: true,
      validate(req) {
        requireText(req.consumerId, 'consumer_id');
        optionalText(req.paymentMethodId, 'payment_method_id');
        requireAmount(req.amount, 'amount');
      },
      faultContext: (req) => ({
        orderId: req.orderId,
        consumerId: req.consumerId,
        ...(req.paymentMethodId ? { cardLast4: cardLast4(req.paymentMethodId) } : {}),
      }),
      apply(req) {
        const consumer = deps.world.consumer(req.consumerId);
        if (!consumer) throw notFound(`consumer ${req.consumerId} does not exist`);
        if (consumer.blocked) throw failedPrecondition('FRAUD_REJECTED', 'the consumer is blocked');
        const assessmentId = `fa-${next++}`;
        return { response: { approved: true, assessmentId }, ledger: { amountMinor: req.amount?.minor ?? 0, refId: assessmentId } };
      },
    }),
  };
}
