import type { CancelDeliveryResponse } from '../../../src/generated/downstream/v1/CancelDeliveryResponse.js';
import type { CreateDeliveryResponse } from '../../../src/generated/downstream/v1/CreateDeliveryResponse.js';
import type { LogisticsServiceHandlers } from '../../../src/generated/downstream/v1/LogisticsService.js';
import { failedPrecondition, notFound } from './downstream-errors.js';
import { createKeyStore, type KeyStore } from './key-store.js';
import { mutationHandler, queryHandler, type Runtime } from './operation-handler.js';
import { createResourceBook, type OpenResource, type ResourceBook } from './resource-book.js';
import { optionalPoint, optionalText, requireEither, requirePoint, requireText } from './validate.js';
import { FIXTURES } from '../../../src/load/demo-world.js';
import type { World } from './world.js';

export interface Delivery extends OpenResource {
  merchantId: string;
  postalCode: string;
  feeMinor: number;
}

/** The couriers' side: deliveries and the keys of the calls that open and cancel them. */
export interface DeliveryDesk {
  keys: { create: KeyStore<CreateDeliveryResponse>; cancel: KeyStore<CancelDeliveryResponse> };
  deliveries: ResourceBook<Delivery>;
  clear(): void;
}

export function createDeliveryDesk(): DeliveryDesk {
  const keys = { create: createKeyStore<CreateDeliveryResponse>(), cancel: createKeyStore<CancelDeliveryResponse>() };
  const deliveries = createResourceBook<Delivery>({
    prefix: 'dlv',
    opened: keys.create,
    fields: { originalOperation: 'logistics.CreateDelivery', idField: 'delivery_id', keyField: 'create_idempotency_key' },
  });
  return {
    keys,
    deliveries,
    clear() {
      keys.create.clear();
      keys.cancel.clear();
      deliveries.clear();
    },
  };
}

/** Quotes from the world's range rule; a delivery is created only where a quote would be in range. */
export function logisticsHandlers(runtime: Runtime, deps: { world: World; desk: DeliveryDesk }): LogisticsServiceHandlers {
  const { world, desk } = deps;
  const pickupFor = (merchantId: string, pickup: { lat: number; lng: number } | undefined) => {
    if (pickup) return pickup;
    const merchant = world.merchant(merchantId);
    if (!merchant) throw notFound(`merchant ${merchantId} does not exist`);
    return merchant.location;
  };

  return {
    QuoteDelivery: queryHandler(runtime, {
      operation: 'logistics.QuoteDelivery',
      validate(req) {
        optionalText(req.merchantId, 'merchant_id');
        optionalText(req.postalCode, 'postal_code');
        requirePoint(req.dropoff, 'dropoff');
        if (!optionalPoint(req.pickup, 'pickup')) requireText(req.merchantId, 'merchant_id');
      },
      callKey: (req) => `${req.merchantId}/${req.postalCode}`,
      faultContext: (req) => ({ merchantId: req.merchantId, postalCode: req.postalCode }),
      answer(req) {
        const quote = world.quote(pickupFor(req.merchantId, req.pickup ?? undefined), requirePoint(req.dropoff, 'dropoff'));
        return {
          inRange: quote.inRange,
          fee: { currency: FIXTURES.currency, minor: quote.feeMinor },
          etaMinutes: quote.etaMinutes,
          maxKm: quote.maxKm,
          distanceKm: quote.distanceKm,
        };
      },
    }),
    CreateDelivery: mutationHandler(runtime, {
      operation: 'logistics.CreateDelivery',
      keys: desk.keys.create,
      fatalFaults: true,
      validate(req) {
        requireText(req.merchantId, 'merchant_id');
        requirePoint(req.dropoff, 'dropoff');
        optionalPoint(req.pickup, 'pickup');
        optionalText(req.postalCode, 'postal_code');
      },
      faultContext: (req) => ({ orderId: req.orderId, merchantId: req.merchantId, postalCode: req.postalCode }),
      apply(req) {
        const quote = world.quote(pickupFor(req.merchantId, req.pickup ?? undefined), requirePoint(req.dropoff, 'dropoff'));
        if (!quote.inRange) {
          throw failedPrecondition('OUT_OF_RANGE', `the address is ${quote.distanceKm.toFixed(1)} km away; the limit is ${quote.maxKm} km`);
        }
        const delivery = desk.deliveries.add({
          id: desk.deliveries.nextId(),
          orderId: req.orderId,
          createKey: req.idempotencyKey,
          cancelled: false,
          merchantId: req.merchantId,
          postalCode: req.postalCode,
          feeMinor: quote.feeMinor,
        });
        return { response: { deliveryId: delivery.id }, ledger: { amountMinor: delivery.feeMinor, refId: delivery.id } };
      },
    }),
    CancelDelivery: mutationHandler(runtime, {
      operation: 'logistics.CancelDelivery',
      keys: desk.keys.cancel,
      fatalFaults: false,
      validate: (req) => requireEither(req.deliveryId, 'delivery_id', req.createIdempotencyKey, 'create_idempotency_key'),
      faultContext(req) {
        const delivery = desk.deliveries.get(req.deliveryId);
        return { orderId: req.orderId, ...(delivery ? { merchantId: delivery.merchantId, postalCode: delivery.postalCode } : {}) };
      },
      apply(req) {
        const result = desk.deliveries.cancel({ orderId: req.orderId, id: req.deliveryId, originalKey: req.createIdempotencyKey });
        return { response: { deliveryId: result.id, outcome: result.outcome }, ...(result.ledger ? { ledger: result.ledger } : {}) };
      },
    }),
  };
}
