import { createOrderPricer, type OrderPricer, type OrderPricerDeps } from '../../../src/pricing/price-order.js';
import { readModifyWriteEachStep, type LegacyOrderStore } from './legacy-steps.js';

/**
 * The seed monolith's pricing, for the benchmarks that compare: the same graph run one task at a
 * time, with the order row read before and written after every task.
 */
export function createLegacyPricer(deps: Omit<OrderPricerDeps, 'aroundTasks'> & { store: LegacyOrderStore }): OrderPricer {
  // The monolith's read-modify-write of one row is only sound one step at a time.
  if (deps.mode && deps.mode !== 'sequential') throw new Error('legacy pricing runs sequentially');
  const { store, ...rest } = deps;
  return createOrderPricer({ ...rest, mode: 'sequential', aroundTasks: (orderId) => readModifyWriteEachStep(store, orderId, deps.clock) });
}
