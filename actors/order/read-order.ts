import type { PersistenceEngine } from '../../src/storage/persistence-engine.js';
import { snapshotState } from '../typed-nact.js';
import type { OrderEvent } from './order-events.js';
import { applyOrderEvent, emptyOrderState, type OrderState } from './order-state.js';

/**
 * An order's state read from its journal without waking its actor: for a node that does not own
 * the order (GetOrder on any node) or an order evicted from the status view. Reads only.
 */
export async function readOrderState(engine: PersistenceEngine, orderId: string): Promise<OrderState> {
  const snapshot = await engine.latestSnapshot(orderId);
  const start = snapshot ? snapshotState<OrderState>(snapshot.data) : emptyOrderState;
  return engine.events(orderId, snapshot?.sequenceNumber ?? 0).reduce((state, e) => applyOrderEvent(state, e.data as OrderEvent), start);
}
