/**
 * The one error taxonomy the steps, the retries and the edge share (after kafkajs's errors.js):
 * every failure is either worth retrying (transient), a business outcome that retrying cannot
 * change (fatal), or a caller's mistake (invalid input).
 */
export type FailureKind = 'transient' | 'fatal' | 'invalid';

export abstract class CheckoutError extends Error {
  abstract readonly kind: FailureKind;
  get retriable(): boolean { return this.kind === 'transient'; }
}

/** A timeout, an unavailable dependency, a busy server: the same call may succeed later. */
export class TransientError extends CheckoutError {
  readonly kind = 'transient' as const;
  override readonly name = 'TransientError';
  constructor(message: string, cause?: unknown) { super(message, { cause }); }
}

/**
 * A definitive "no" (card declined, fraud rejected, no courier): the order cannot go on.
 * `reason` is a stable code; `customerMessage` says what the customer can do about it.
 */
export class FatalError extends CheckoutError {
  readonly kind = 'fatal' as const;
  override readonly name = 'FatalError';
  constructor(readonly reason: string, readonly customerMessage: string, message = reason) { super(message); }
}

export interface FieldViolation { field: string; description: string }

/** Bad input: nothing is stored and the caller learns which fields to fix. */
export class InvalidInputError extends CheckoutError {
  readonly kind = 'invalid' as const;
  override readonly name = 'InvalidInputError';
  constructor(readonly violations: FieldViolation[]) {
    super(`invalid request: ${violations.map((v) => `${v.field}: ${v.description}`).join('; ')}`);
  }
}

/** Another writer holds this order's journal: this actor's view is stale and it must stop. */
export class JournalConflictError extends Error {
  override readonly name = 'JournalConflictError';
  constructor(readonly orderId: string, readonly seq: number) {
    super(`journal of ${orderId} already has an event at seq ${seq}: another writer owns this order`);
  }
}

/** One unmet business condition, as google.rpc.PreconditionFailure words it. */
export interface PreconditionViolation {
  /** What kind of thing: ITEM_UNAVAILABLE, STORE_CLOSED, ADDRESS_OUT_OF_RANGE, … */
  type: string;
  /** Which thing: `items/m-1-sold-out`, `merchants/m-closed`, … */
  subject: string;
  /** What the customer can do about it. */
  description: string;
}

/**
 * A request the business cannot take as it is (item unavailable, store closed, address out of
 * range): FAILED_PRECONDITION at the edge, naming each subject and what to do. Nothing is stored.
 */
export class BusinessRejection extends FatalError {
  constructor(reason: string, customerMessage: string, readonly violations: PreconditionViolation[], readonly metadata: Record<string, string> = {}) {
    super(reason, customerMessage);
  }
}
