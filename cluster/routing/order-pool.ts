import type { Pool } from './sandbox-rules.js';

const SANDBOX_PREFIX = 'sbx-';

/**
 * The id of a new order that will run in `pool`. The pool is chosen once, when the order is
 * placed, and written into its id: every later command (a cancel, from any node, after any rule
 * change or restart) finds the order's pool from the id alone, as it finds its shard.
 */
export function orderIdInPool(baseId: string, pool: Pool): string {
  return pool === 'sandbox' ? `${SANDBOX_PREFIX}${baseId}` : baseId;
}

/** The pool an order runs in, read from its id (ids without the sandbox mark are main's). */
export function poolOfOrder(orderId: string): Pool {
  return orderId.startsWith(SANDBOX_PREFIX) ? 'sandbox' : 'main';
}
