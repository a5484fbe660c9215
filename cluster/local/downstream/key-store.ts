import { failedPrecondition, type DownstreamError } from './downstream-errors.js';

/** The first outcome of an operation for one idempotency key: what every later call gets back. */
export type KeyOutcome<Res> =
  | {
      kind: 'applied';
      orderId: string;
      response: Res;
      /** The resource the call created or acted on; compensations find it by the key through this. */
      refId: string;
      /** The ledger entry the call appended, whose replays count goes up on each replay. */
      ledgerSeq?: number;
    }
  | { kind: 'failed'; orderId: string; error: DownstreamError };

/** One operation's idempotency keys. */
export interface KeyStore<Res> {
  get(key: string): KeyOutcome<Res> | undefined;
  record(key: string, outcome: KeyOutcome<Res>): void;
  /**
   * Fences a key whose call never applied: the compensation came first. A late original call
   * then fails with ALREADY_CANCELLED instead of creating something nobody would release.
   */
  tombstone(key: string, orderId: string, operation: string): void;
  clear(): void;
}

export function createKeyStore<Res>(): KeyStore<Res> {
  let outcomes = new Map<string, KeyOutcome<Res>>();
  return {
    get: (key) => outcomes.get(key),
    record(key, outcome) {
      // First outcome wins; the pipeline never records twice, this keeps it true by construction.
      if (!outcomes.has(key)) outcomes.set(key, outcome);
    },
    tombstone(key, orderId, operation) {
      const error = failedPrecondition('ALREADY_CANCELLED', `${operation} with key ${key} was cancelled before it was applied`);
      if (!outcomes.has(key)) outcomes.set(key, { kind: 'failed', orderId, error });
    },
    clear() {
      outcomes = new Map();
    },
  };
}

export const isTombstone = (outcome: KeyOutcome<unknown>): boolean =>
  outcome.kind === 'failed' && outcome.error.reason === 'ALREADY_CANCELLED';
