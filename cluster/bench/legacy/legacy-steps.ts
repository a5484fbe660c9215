/*
 * Legacy mode, kept only so a benchmark can compare: the seed's old monolith loaded the order
 * row before every step and saved it after. The fast path never builds any of this, so it does
 * no storage access at all.
 */

export interface LegacyOrderRow {
  /** JSON: `{ "steps": [names of the steps done so far] }`. */
  state: string;
  updatedAt: number;
}

/** Where the legacy order row lives; every call is one storage operation. */
export interface LegacyOrderStore {
  read(orderId: string): Promise<LegacyOrderRow | undefined>;
  write(orderId: string, row: LegacyOrderRow): Promise<void>;
}

/** Wraps each step in read → step → write of the order row, as the monolith did (a dag `around`). */
export function readModifyWriteEachStep(store: LegacyOrderStore, orderId: string, clock: () => number) {
  return async (step: string, run: () => Promise<unknown>): Promise<unknown> => {
    const row = await store.read(orderId);
    const value = await run();
    const steps = [...stepsOf(row), step];
    await store.write(orderId, { state: JSON.stringify({ steps }), updatedAt: clock() });
    return value;
  };
}

/** The steps recorded in a row; a missing or unreadable row means none. */
export function stepsOf(row: LegacyOrderRow | undefined): string[] {
  if (!row) return [];
  try {
    const parsed: unknown = JSON.parse(row.state);
    const steps = (parsed as { steps?: unknown }).steps;
    return Array.isArray(steps) ? steps.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}
