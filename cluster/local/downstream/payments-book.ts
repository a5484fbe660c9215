import type { AuthorizeRequest__Output } from '../../../src/generated/downstream/v1/AuthorizeRequest.js';
import type { AuthorizeResponse } from '../../../src/generated/downstream/v1/AuthorizeResponse.js';
import type { CaptureRequest__Output } from '../../../src/generated/downstream/v1/CaptureRequest.js';
import type { CaptureResponse } from '../../../src/generated/downstream/v1/CaptureResponse.js';
import type { RefundRequest__Output } from '../../../src/generated/downstream/v1/RefundRequest.js';
import type { RefundResponse } from '../../../src/generated/downstream/v1/RefundResponse.js';
import type { VoidRequest__Output } from '../../../src/generated/downstream/v1/VoidRequest.js';
import type { VoidResponse } from '../../../src/generated/downstream/v1/VoidResponse.js';
import { compensate, findOriginal } from './compensation.js';
import { failedPrecondition, invalidArgument, notFound } from './downstream-errors.js';
import { createKeyStore, type KeyStore } from './key-store.js';
import type { Applied } from './operation-handler.js';
import { optionalAmount, requireAmount } from './validate.js';
import type { World } from './world.js';

/*
 * The money rules. An authorization holds money; a capture takes at most the held amount, once;
 * a void releases a hold that was not captured; a refund returns a capture, once. A void after
 * capture and refund changes nothing; a void of a capture not yet refunded is refused, so the
 * caller refunds first and no charge is ever forgotten.
 */

export interface Authorization {
  id: string;
  orderId: string;
  authorizeKey: string;
  consumerId: string;
  cardLast4: string;
  currency: string;
  amountMinor: number;
  captureId?: string;
  voidId?: string;
}

export interface Capture {
  id: string;
  orderId: string;
  captureKey: string;
  authorizationId: string;
  currency: string;
  amountMinor: number;
  refundId?: string;
}

export interface PaymentKeys {
  authorize: KeyStore<AuthorizeResponse>;
  capture: KeyStore<CaptureResponse>;
  void: KeyStore<VoidResponse>;
  refund: KeyStore<RefundResponse>;
}

export interface PaymentsBook {
  keys: PaymentKeys;
  authorize(req: AuthorizeRequest__Output): Applied<AuthorizeResponse>;
  capture(req: CaptureRequest__Output): Applied<CaptureResponse>;
  void(req: VoidRequest__Output): Applied<VoidResponse>;
  refund(req: RefundRequest__Output): Applied<RefundResponse>;
  /** The authorization a capture or void request names, if it exists (for fault matching). */
  authorizationFor(req: { orderId: string; authorizationId: string; authorizeIdempotencyKey: string }): Authorization | undefined;
  clear(): void;
}

export function createPaymentsBook(deps: { world: World }): PaymentsBook {
  const keys: PaymentKeys = { authorize: createKeyStore(), capture: createKeyStore(), void: createKeyStore(), refund: createKeyStore() };
  let authorizations = new Map<string, Authorization>();
  let captures = new Map<string, Capture>();
  // Ids count up for the server's whole life, so an id from before a Reset never comes back.
  let next = 1;
  const nextId = (prefix: string): string => `${prefix}-${next++}`;

  const authorizationRef = (req: { orderId: string; authorizationId: string; authorizeIdempotencyKey: string }) => ({
    orderId: req.orderId,
    id: req.authorizationId,
    originalKey: req.authorizeIdempotencyKey,
  });

  const ownAuthorization = (id: string, orderId: string): Authorization => {
    const auth = authorizations.get(id);
    if (!auth) throw notFound(`authorization_id ${id} does not exist`);
    if (auth.orderId !== orderId) throw invalidArgument('authorization_id', `authorization ${id} belongs to order ${auth.orderId}`);
    return auth;
  };

  const ownCapture = (id: string, orderId: string): Capture => {
    const capture = captures.get(id);
    if (!capture) throw notFound(`capture_id ${id} does not exist`);
    if (capture.orderId !== orderId) throw invalidArgument('capture_id', `capture ${id} belongs to order ${capture.orderId}`);
    return capture;
  };

  const amountWithin = (requested: { currency: string; minor: number } | undefined, held: { currency: string; amountMinor: number }, field: string): number => {
    if (!requested) return held.amountMinor;
    if (requested.currency !== held.currency) {
      throw failedPrecondition('CURRENCY_MISMATCH', `${field} is in ${requested.currency} but the payment is in ${held.currency}`);
    }
    return requested.minor;
  };

  return {
    keys,
    authorize(req) {
      const method = deps.world.paymentMethod(req.consumerId, req.paymentMethodId);
      if (!method) throw notFound(`payment method ${req.paymentMethodId} of consumer ${req.consumerId} does not exist`);
      if (method.expired) throw failedPrecondition('CARD_DECLINED', 'the card has expired');
      const amount = requireAmount(req.amount, 'amount');
      const auth: Authorization = {
        id: nextId('auth'),
        orderId: req.orderId,
        authorizeKey: req.idempotencyKey,
        consumerId: req.consumerId,
        cardLast4: method.last4,
        currency: amount.currency,
        amountMinor: amount.minor,
      };
      authorizations.set(auth.id, auth);
      return { response: { authorizationId: auth.id }, ledger: { amountMinor: auth.amountMinor, refId: auth.id } };
    },

    capture(req) {
      const original = findOriginal(keys.authorize, authorizationRef(req), 'authorization_id', 'authorize_idempotency_key');
      if (original.kind === 'already-fenced') throw failedPrecondition('ALREADY_CANCELLED', 'the authorization was cancelled before it was applied');
      if (original.kind !== 'resource') throw notFound(`no authorization was made with key ${req.authorizeIdempotencyKey}`);
      const auth = ownAuthorization(original.id, req.orderId);
      if (auth.voidId) throw failedPrecondition('AUTHORIZATION_VOIDED', `authorization ${auth.id} was voided`);
      if (auth.captureId) throw failedPrecondition('ALREADY_CAPTURED', `authorization ${auth.id} was already captured by ${auth.captureId}`);
      const amountMinor = amountWithin(optionalAmount(req.amount, 'amount'), auth, 'amount');
      if (amountMinor > auth.amountMinor) {
        throw failedPrecondition('AMOUNT_EXCEEDS_AUTHORIZATION', `cannot capture ${amountMinor}: authorization ${auth.id} holds ${auth.amountMinor}`);
      }
      const capture: Capture = {
        id: nextId('cap'),
        orderId: req.orderId,
        captureKey: req.idempotencyKey,
        authorizationId: auth.id,
        currency: auth.currency,
        amountMinor,
      };
      captures.set(capture.id, capture);
      auth.captureId = capture.id;
      return { response: { captureId: capture.id }, ledger: { amountMinor, refId: capture.id, parentRefId: auth.id } };
    },

    void(req) {
      const fields = { originalOperation: 'payments.Authorize', idField: 'authorization_id', keyField: 'authorize_idempotency_key' };
      let authorizationId = '';
      const result = compensate(keys.authorize, authorizationRef(req), fields, (id) => {
        const auth = ownAuthorization(id, req.orderId);
        authorizationId = auth.id;
        if (auth.voidId) return { outcome: 'ALREADY_COMPENSATED', id: auth.voidId };
        if (auth.captureId) {
          if (captures.get(auth.captureId)?.refundId) return { outcome: 'ALREADY_COMPENSATED', id: '' };
          throw failedPrecondition('CAPTURE_NOT_REFUNDED', `authorization ${auth.id} was captured by ${auth.captureId}: refund it first`);
        }
        auth.voidId = nextId('void');
        return {
          outcome: 'COMPENSATED',
          id: auth.voidId,
          ledger: { amountMinor: auth.amountMinor, refId: auth.id, compensatesKey: auth.authorizeKey },
        };
      });
      return { response: { voidId: result.id, outcome: result.outcome, authorizationId }, ...(result.ledger ? { ledger: result.ledger } : {}) };
    },

    refund(req) {
      const fields = { originalOperation: 'payments.Capture', idField: 'capture_id', keyField: 'capture_idempotency_key' };
      const ref = { orderId: req.orderId, id: req.captureId, originalKey: req.captureIdempotencyKey };
      let captureId = '';
      const result = compensate(keys.capture, ref, fields, (id) => {
        const capture = ownCapture(id, req.orderId);
        captureId = capture.id;
        if (capture.refundId) return { outcome: 'ALREADY_COMPENSATED', id: capture.refundId };
        const amountMinor = amountWithin(optionalAmount(req.amount, 'amount'), capture, 'amount');
        if (amountMinor > capture.amountMinor) {
          throw failedPrecondition('AMOUNT_EXCEEDS_CAPTURE', `cannot refund ${amountMinor}: capture ${capture.id} took ${capture.amountMinor}`);
        }
        capture.refundId = nextId('refund');
        return {
          outcome: 'COMPENSATED',
          id: capture.refundId,
          ledger: { amountMinor, refId: capture.id, parentRefId: capture.authorizationId, compensatesKey: capture.captureKey },
        };
      });
      return { response: { refundId: result.id, outcome: result.outcome, captureId }, ...(result.ledger ? { ledger: result.ledger } : {}) };
    },

    authorizationFor(req) {
      const id = req.authorizationId || appliedRef(keys.authorize, req.authorizeIdempotencyKey);
      return id ? authorizations.get(id) : undefined;
    },

    clear() {
      for (const store of Object.values(keys)) store.clear();
      authorizations = new Map();
      captures = new Map();
    },
  };
}

function appliedRef(store: KeyStore<unknown>, key: string): string {
  const outcome = key ? store.get(key) : undefined;
  return outcome?.kind === 'applied' ? outcome.refId : '';
}
