import { status } from '@grpc/grpc-js';
import {
  FATAL_FAULT_KINDS, TRANSIENT_FAULT_KINDS, type FatalFaultKind, type TransientFaultKind,
} from '../../../src/clients/downstream-operations.js';

/*
 * The one error taxonomy of the downstream simulators. Every refusal is a gRPC status plus a
 * google.rpc.ErrorInfo reason (domain "downstream"), so callers branch on codes, never on text:
 *   transient     UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED: retry with the same key.
 *   fatal         FAILED_PRECONDITION with a business reason: the order cannot go on; compensate.
 *   precondition  FAILED_PRECONDITION about the state of what the call acts on (a money rule,
 *                 a fenced key): a bug or a race in the caller, never fixed by retrying as is.
 *   invalid       INVALID_ARGUMENT (with the offending field) and NOT_FOUND.
 */

export const PRECONDITION_REASONS = [
  // The key was fenced by a compensation that arrived before the original call.
  'ALREADY_CANCELLED',
  'AUTHORIZATION_VOIDED',
  'ALREADY_CAPTURED',
  'AMOUNT_EXCEEDS_AUTHORIZATION',
  // A captured authorization cannot be voided until its capture is refunded.
  'CAPTURE_NOT_REFUNDED',
  'AMOUNT_EXCEEDS_CAPTURE',
  'CURRENCY_MISMATCH',
  'OUT_OF_RANGE',
  'MERCHANT_CLOSED',
  'MERCHANT_NOT_ACCEPTING',
] as const;

export type PreconditionReason = (typeof PRECONDITION_REASONS)[number];
export type DownstreamReason = TransientFaultKind | FatalFaultKind | PreconditionReason | 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'INTERNAL' | 'ADMIN_SECRET_REQUIRED';

export const ERROR_DOMAIN = 'downstream';

const TRANSIENT_CODES: Record<TransientFaultKind, status> = {
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
};

export class DownstreamError extends Error {
  override readonly name = 'DownstreamError';

  constructor(
    readonly code: status,
    readonly reason: DownstreamReason,
    message: string,
    /** For INVALID_ARGUMENT: the request field at fault (proto name, e.g. "idempotency_key"). */
    readonly field?: string,
  ) {
    super(message);
  }

  get retriable(): boolean {
    return isTransientReason(this.reason);
  }

  /**
   * Whether this refusal is the key's final answer, replayed to every later call with the key.
   * Business outcomes are; refusals about current state are recomputed, because the state may
   * change (a void refused before a refund succeeds after it).
   */
  get finalForKey(): boolean {
    return (FATAL_FAULT_KINDS as readonly string[]).includes(this.reason) || this.reason === 'ALREADY_CANCELLED';
  }
}

export const isTransientReason = (reason: string): reason is TransientFaultKind =>
  (TRANSIENT_FAULT_KINDS as readonly string[]).includes(reason);
export const isFatalReason = (reason: string): reason is FatalFaultKind =>
  (FATAL_FAULT_KINDS as readonly string[]).includes(reason);

export const invalidArgument = (field: string, message: string): DownstreamError =>
  new DownstreamError(status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', message, field);

export const notFound = (message: string): DownstreamError =>
  new DownstreamError(status.NOT_FOUND, 'NOT_FOUND', message);

export const failedPrecondition = (reason: FatalFaultKind | PreconditionReason, message: string): DownstreamError =>
  new DownstreamError(status.FAILED_PRECONDITION, reason, message);

export const transientError = (reason: TransientFaultKind, message: string): DownstreamError =>
  new DownstreamError(TRANSIENT_CODES[reason], reason, message);

export const adminSecretRequired = (): DownstreamError =>
  new DownstreamError(status.UNAUTHENTICATED, 'ADMIN_SECRET_REQUIRED', 'the admin API needs the shared admin secret: authorization: Bearer <DOWNSTREAM_ADMIN_SECRET>');

export const internalError = (message: string): DownstreamError =>
  new DownstreamError(status.INTERNAL, 'INTERNAL', message);
