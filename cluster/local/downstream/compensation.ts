import type { CompensationOutcome__Output } from '../../../src/generated/downstream/v1/CompensationOutcome.js';
import { invalidArgument } from './downstream-errors.js';
import { isTombstone, type KeyStore } from './key-store.js';
import type { LedgerDraft } from './ledger.js';

export type CompensationOutcome = Exclude<CompensationOutcome__Output, 'COMPENSATION_OUTCOME_UNSPECIFIED'>;

/** How a compensation names what it undoes: by id, or by the idempotency key of the call that made it. */
export interface CompensationRef {
  orderId: string;
  id: string;
  originalKey: string;
}

/** What a compensation found when it looked for its original. */
export type Original =
  | { kind: 'resource'; id: string }
  | { kind: 'never-applied' }
  | { kind: 'already-fenced' }
  | { kind: 'original-failed' };

/**
 * Resolves a compensation's target. The caller may not know whether its original call applied
 * (it timed out), so the original's key is as good as the resource id, and "never applied" is an
 * answer too: the caller fences the key, so the original can never apply later.
 */
export function findOriginal<Res>(originals: KeyStore<Res>, ref: CompensationRef, idField: string, keyField: string): Original {
  const outcome = ref.originalKey ? originals.get(ref.originalKey) : undefined;
  if (outcome && outcome.orderId !== ref.orderId) {
    throw invalidArgument(keyField, `${keyField} ${ref.originalKey} belongs to order ${outcome.orderId}, not ${ref.orderId}`);
  }
  if (ref.id) {
    if (outcome?.kind === 'applied' && outcome.refId !== ref.id) {
      throw invalidArgument(idField, `${idField} ${ref.id} is not what ${keyField} ${ref.originalKey} created (${outcome.refId})`);
    }
    return { kind: 'resource', id: ref.id };
  }
  if (!outcome) return { kind: 'never-applied' };
  if (outcome.kind === 'applied') return { kind: 'resource', id: outcome.refId };
  return isTombstone(outcome) ? { kind: 'already-fenced' } : { kind: 'original-failed' };
}

export interface CompensationResult {
  outcome: CompensationOutcome;
  /** The resource undone (or found undone); empty when there never was one. */
  id: string;
  /** Set when something changed: a release, or a fence (a fact the invariant checks read). */
  ledger?: Omit<LedgerDraft, 'operation' | 'idempotencyKey' | 'orderId'>;
}

export interface CompensationFields {
  /** The original operation, for the fence's error message. */
  originalOperation: string;
  idField: string;
  keyField: string;
}

/**
 * The part every compensation shares: fence a never-applied original, accept an already fenced
 * or failed one as done, and hand an existing resource to `release`.
 */
export function compensate<Res>(
  originals: KeyStore<Res>,
  ref: CompensationRef,
  fields: CompensationFields,
  release: (id: string) => CompensationResult,
): CompensationResult {
  const original = findOriginal(originals, ref, fields.idField, fields.keyField);
  switch (original.kind) {
    case 'never-applied':
      originals.tombstone(ref.originalKey, ref.orderId, fields.originalOperation);
      return {
        outcome: 'TOMBSTONED',
        id: '',
        ledger: { amountMinor: 0, refId: '', compensatesKey: ref.originalKey, tombstone: true },
      };
    case 'already-fenced':
      return { outcome: 'ALREADY_COMPENSATED', id: '' };
    case 'original-failed':
      return { outcome: 'NOTHING_TO_COMPENSATE', id: '' };
    case 'resource':
      return release(original.id);
  }
}
