import type { ActiveOrderIndex } from '../../src/storage/active-orders.js';
import type { Pool } from './sandbox-rules.js';

/**
 * The shard index of one pool. Both pools number their shards from 0 (they are partitions of
 * two topics) and share the `active_orders_by_position` and `active_order_shards` tables, so the sandbox's shards are stored under
 * negative numbers (shard s → -1 - s): a main node taking shard 0 must not wake the sandbox's
 * shard-0 orders, nor the other way round. Main keeps the plain numbers it has always used.
 */
export function poolShardIndex(index: ActiveOrderIndex, pool: Pool): ActiveOrderIndex {
  if (pool === 'main') return index;
  const key = (shard: number) => -1 - shard;
  return {
    add: (shard, orderId, placedAt) => index.add(key(shard), orderId, placedAt),
    remove: (shard, orderId) => index.remove(key(shard), orderId),
    list: (shard) => index.list(key(shard)),
    release: (shard) => index.release?.(key(shard)),
  };
}
