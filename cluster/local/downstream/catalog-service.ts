import type { CatalogServiceHandlers } from '../../../src/generated/downstream/v1/CatalogService.js';
import { queryHandler, type Runtime } from './operation-handler.js';
import { requireText } from './validate.js';
import type { World } from './world.js';

/** Read-only facts from the fixture world. Unknown ids answer found=false, not an error. */
export function catalogHandlers(runtime: Runtime, world: World): CatalogServiceHandlers {
  return {
    GetMerchant: queryHandler(runtime, {
      operation: 'catalog.GetMerchant',
      validate: (req) => requireText(req.merchantId, 'merchant_id'),
      callKey: (req) => req.merchantId,
      faultContext: (req) => ({ merchantId: req.merchantId }),
      answer(req) {
        const m = world.merchant(req.merchantId);
        if (!m) return { merchantId: req.merchantId, found: false };
        const { zone, ...facts } = m;
        return {
          ...facts, found: true,
          zone: { defaultFee: { currency: m.currency, minor: zone.defaultFeeMinor }, defaultEtaMinutes: zone.defaultEtaMinutes, maxKm: zone.maxKm },
        };
      },
    }),
    GetMenu: queryHandler(runtime, {
      operation: 'catalog.GetMenu',
      validate: (req) => requireText(req.merchantId, 'merchant_id'),
      callKey: (req) => req.merchantId,
      faultContext: (req) => ({ merchantId: req.merchantId }),
      answer(req) {
        const items = world.menu(req.merchantId);
        return { merchantId: req.merchantId, items: items ?? [], found: items !== undefined };
      },
    }),
    GetConsumer: queryHandler(runtime, {
      operation: 'catalog.GetConsumer',
      validate: (req) => requireText(req.consumerId, 'consumer_id'),
      callKey: (req) => req.consumerId,
      faultContext: (req) => ({ consumerId: req.consumerId }),
      answer(req) {
        const c = world.consumer(req.consumerId);
        return c ? { ...c, found: true } : { consumerId: req.consumerId, found: false };
      },
    }),
    GetPaymentMethod: queryHandler(runtime, {
      operation: 'catalog.GetPaymentMethod',
      validate(req) {
        requireText(req.consumerId, 'consumer_id');
        requireText(req.paymentMethodId, 'payment_method_id');
      },
      callKey: (req) => `${req.consumerId}/${req.paymentMethodId}`,
      faultContext(req) {
        const pm = world.paymentMethod(req.consumerId, req.paymentMethodId);
        return { consumerId: req.consumerId, ...(pm ? { cardLast4: pm.last4 } : {}) };
      },
      answer(req) {
        const pm = world.paymentMethod(req.consumerId, req.paymentMethodId);
        return pm ? { ...pm, found: true } : { paymentMethodId: req.paymentMethodId, consumerId: req.consumerId, found: false };
      },
    }),
    GetPromotion: queryHandler(runtime, {
      operation: 'catalog.GetPromotion',
      validate(req) {
        requireText(req.consumerId, 'consumer_id');
        requireText(req.merchantId, 'merchant_id');
      },
      callKey: (req) => `${req.consumerId}/${req.merchantId}`,
      faultContext: (req) => ({ consumerId: req.consumerId, merchantId: req.merchantId }),
      answer(req) {
        const p = world.promotion(req.consumerId, req.merchantId);
        const currency = world.merchant(req.merchantId)?.currency ?? '';
        return p
          ? { found: true, promotionId: p.promotionId, percentOff: p.percentOff, maxDiscount: { currency, minor: p.maxDiscountMinor } }
          : { found: false };
      },
    }),
  };
}
