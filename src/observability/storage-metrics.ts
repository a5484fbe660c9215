import { Counter, Gauge, type Registry } from 'prom-client';
import type { StorageCounters, StorageOp } from '../storage/storage-counters.js';

/**
 * Cassandra operations of the node by kind and table, and the same per finished order
 * (ops so far / orders that reached a terminal state on this node): the README's benchmark
 * figure (0 reads, 6 LWT appends, 2 plain writes per happy-path order) plus the edge's
 * idempotency key (1 LWT, 1 write) when the edge shares these counters.
 */
export function createStorageMetrics(registry: Registry, finishedOrders: () => number): StorageCounters {
  const ops = new Counter({ name: 'checkout_storage_ops_total', help: 'Cassandra operations by kind and table', labelNames: ['op', 'table'], registers: [registry] });
  const totals: Record<StorageOp, number> = { read: 0, write: 0, lwt: 0 };
  new Gauge({
    name: 'checkout_storage_ops_per_order', help: 'Cassandra operations of this node per order it finished, by kind (read|write|lwt)', labelNames: ['op'], registers: [registry],
    collect() {
      const n = finishedOrders();
      for (const op of Object.keys(totals) as StorageOp[]) this.set({ op }, n > 0 ? totals[op] / n : 0);
    },
  });
  return {
    count(op, table) {
      ops.inc({ op, table });
      totals[op] += 1;
    },
  };
}
