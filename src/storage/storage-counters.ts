/** Cassandra operations by kind, so the DB cost per order is a measured figure, not a guess. */
export type StorageOp = 'read' | 'write' | 'lwt';

export interface StorageCounters {
  count(op: StorageOp, table: string): void;
}

export const noCounters: StorageCounters = { count: () => undefined };

/** An in-memory tally, for tests and benchmarks. */
export function tallyCounters(): StorageCounters & { totals(): Record<StorageOp, number>; reset(): void } {
  const totals: Record<StorageOp, number> = { read: 0, write: 0, lwt: 0 };
  return {
    count: (op) => { totals[op] += 1; },
    totals: () => ({ ...totals }),
    reset: () => { totals.read = 0; totals.write = 0; totals.lwt = 0; },
  };
}
