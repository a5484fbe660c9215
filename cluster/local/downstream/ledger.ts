import type { LedgerEntry__Output } from '../../../src/generated/downstream/v1/LedgerEntry.js';

/** One applied operation, exactly as GetLedger returns it. */
export type LedgerEntry = LedgerEntry__Output;

export type LedgerDraft = Pick<LedgerEntry, 'operation' | 'idempotencyKey' | 'orderId' | 'amountMinor' | 'refId'> &
  Partial<Pick<LedgerEntry, 'parentRefId' | 'compensatesKey' | 'tombstone'>>;

export interface LedgerQuery {
  orderId?: string;
  /** Only entries with seq > afterSeq. */
  afterSeq?: number;
  /** 0 or unset means DEFAULT_PAGE. */
  limit?: number;
}

export interface LedgerPage {
  entries: LedgerEntry[];
  more: boolean;
}

export interface Ledger {
  /** Counts a call that reached `operation` (for `orderId`, when it names one), whatever became of it; it is in flight until `callEnded`. */
  countCall(operation: string, orderId?: string): void;
  /** The call to `operation` has been answered (or its caller has gone). */
  callEnded(operation: string): void;
  append(draft: LedgerDraft): LedgerEntry;
  bumpReplay(seq: number): void;
  page(query: LedgerQuery): LedgerPage;
  /** Calls per operation: all of them, or those that named `orderId`. */
  calls(orderId?: string): Record<string, number>;
  /** Calls received and not yet answered, by operation (operations with none are left out). */
  inFlight(): Record<string, number>;
  clear(): void;
}

export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 10_000;

/** The append-only record tests read to prove no double charge and nothing left open. */
export function createLedger(deps: { now: () => number }): Ledger {
  let all: LedgerEntry[] = [];
  let byOrder = new Map<string, LedgerEntry[]>();
  let calls = new Map<string, number>();
  let callsByOrder = new Map<string, Map<string, number>>();
  const inFlight = new Map<string, number>();

  return {
    countCall(operation, orderId) {
      calls.set(operation, (calls.get(operation) ?? 0) + 1);
      if (orderId) {
        const ofOrder = callsByOrder.get(orderId) ?? new Map<string, number>();
        ofOrder.set(operation, (ofOrder.get(operation) ?? 0) + 1);
        callsByOrder.set(orderId, ofOrder);
      }
      inFlight.set(operation, (inFlight.get(operation) ?? 0) + 1);
    },
    callEnded(operation) {
      const left = (inFlight.get(operation) ?? 0) - 1;
      if (left > 0) inFlight.set(operation, left);
      else inFlight.delete(operation);
    },
    append(draft) {
      const entry: LedgerEntry = {
        parentRefId: '',
        compensatesKey: '',
        tombstone: false,
        ...draft,
        seq: all.length + 1,
        at: deps.now(),
        replays: 0,
      };
      all.push(entry);
      const orderEntries = byOrder.get(entry.orderId) ?? [];
      orderEntries.push(entry);
      byOrder.set(entry.orderId, orderEntries);
      return { ...entry };
    },
    bumpReplay(seq) {
      const entry = all[seq - 1];
      if (entry) entry.replays += 1;
    },
    page(query) {
      const source = query.orderId ? (byOrder.get(query.orderId) ?? []) : all;
      const limit = Math.min(query.limit && query.limit > 0 ? query.limit : DEFAULT_PAGE, MAX_PAGE);
      const start = firstAfter(source, query.afterSeq ?? 0);
      const slice = source.slice(start, start + limit);
      return { entries: slice.map((e) => ({ ...e })), more: start + limit < source.length };
    },
    calls: (orderId) => Object.fromEntries(orderId ? (callsByOrder.get(orderId) ?? []) : calls),
    // Not cleared with the rest: a call that reached the server before a reset still ends after it.
    inFlight: () => Object.fromEntries(inFlight),
    clear() {
      all = [];
      byOrder = new Map();
      calls = new Map();
      callsByOrder = new Map();
    },
  };
}

// Entries are in seq order, so a binary search finds where a page starts in large ledgers.
function firstAfter(entries: readonly LedgerEntry[], afterSeq: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid]?.seq ?? Infinity) <= afterSeq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
