/**
 * The peer's checkout: a Restate virtual object keyed by order id whose one handler does what our
 * order actor does, with the same code: the pricing fetch (`createOrderPricer`), then the five
 * steps of `checkoutFlow` in order, each inside `ctx.run` and calling the downstream services
 * through `grpcCheckoutSteps` with the same idempotency keys (`<order id>:<step>`). A fatal
 * answer undoes the completed steps newest first (each undo a `ctx.run`, retried until it
 * succeeds) and ends FAILED; a transient one is retried by Restate's own retry policy.
 */
import { checkoutFlow, type StepDefinition } from '../../../actors/order/checkout-flow.js';
import type { CheckoutSteps } from '../../../src/domain/checkout-steps.js';
import { FatalError } from '../../../src/domain/errors.js';
import type { PricedOrder } from '../../../src/domain/order.js';
import type { PlaceOrderInput } from '../../../src/domain/place-order.js';
import type { OrderPricer } from '../../../src/pricing/price-order.js';
import type { RestateObjectContext, RestateObjectDefinition, RestateSdk } from './restate-sdk-types.js';

export const PEER_OBJECT = 'Checkout';
export const PEER_HANDLER = 'checkout';

export interface PeerCheckoutResult {
  orderId: string;
  status: 'COMPLETED' | 'FAILED';
  reason?: string;
}

export interface PeerCheckoutDeps {
  pricer: OrderPricer;
  steps: CheckoutSteps;
  /** Called after a step's (or an undo's) downstream call returned, in the process that ran it. */
  onStepDone?: (orderId: string, step: string) => void;
}

export function peerCheckoutObject(sdk: RestateSdk, deps: PeerCheckoutDeps): RestateObjectDefinition {
  // A business "no" is final: Restate must not retry it. Everything else is retried.
  const terminal = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof FatalError) throw new sdk.TerminalError(`${err.reason}: ${err.message}`);
      throw err;
    }
  };
  const isTerminal = (err: unknown): err is Error => err instanceof sdk.TerminalError;

  async function checkout(ctx: RestateObjectContext, input: unknown): Promise<PeerCheckoutResult> {
    const orderId = ctx.key;
    let order: PricedOrder;
    try {
      order = await ctx.run('price', () => terminal(async () => (await deps.pricer.price(input as PlaceOrderInput, orderId)).order));
    } catch (err) {
      if (isTerminal(err)) return { orderId, status: 'FAILED', reason: err.message };
      throw err;
    }
    const done: StepDefinition[] = [];
    for (const step of checkoutFlow) {
      try {
        await ctx.run(step.name, () => terminal(async () => {
          const ref = await step.run(deps.steps, order);
          deps.onStepDone?.(orderId, step.name);
          return ref;
        }));
        done.push(step);
      } catch (err) {
        if (!isTerminal(err)) throw err;
        for (const undo of done.reverse()) {
          const compensate = undo.compensate;
          if (compensate) await ctx.run(`undo ${undo.name}`, async () => { await compensate(deps.steps, order); deps.onStepDone?.(orderId, `undo ${undo.name}`); return true; });
        }
        return { orderId, status: 'FAILED', reason: err.message };
      }
    }
    return { orderId, status: 'COMPLETED' };
  }

  return sdk.object({ name: PEER_OBJECT, handlers: { [PEER_HANDLER]: checkout } });
}
