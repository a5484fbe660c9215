import * as grpc from '@grpc/grpc-js';
import { BusinessRejection, FatalError, InvalidInputError, TransientError, type PreconditionViolation } from '../domain/errors.js';
import { STATUS_DETAILS_KEY, type RichStatus, type StatusCodec } from '../grpc/status-details.js';
import type { Logger } from '../observability/logger.js';

/** The google.rpc.ErrorInfo domain of every error the checkout edge returns. */
export const ERROR_DOMAIN = 'checkout.v1';

/** What a client should wait before retrying a transient failure, unless told otherwise. */
export const DEFAULT_RETRY_DELAY_MS = 1_000;

/**
 * A refusal decided at the edge (not found, unauthenticated, forbidden, key reused), carried as
 * data so that one function, `toGrpcError`, turns every failure into a status. `customerMessage`
 * is what the client sees; `reason` is the stable ErrorInfo code it branches on.
 */
export class EdgeStatusError extends Error {
  override readonly name: string = 'EdgeStatusError';
  constructor(
    readonly code: grpc.status,
    readonly reason: string,
    readonly customerMessage: string,
    readonly extra: {
      metadata?: Record<string, string>;
      preconditionViolations?: PreconditionViolation[];
      retryDelayMs?: number;
    } = {},
  ) {
    super(customerMessage);
  }
}

/**
 * NOT_FOUND. Also the answer when a consumer names someone else's order: the status depends only
 * on `what`, never on whether the thing exists, so the two cases cannot be told apart.
 */
export const notFound = (what: string): EdgeStatusError =>
  new EdgeStatusError(grpc.status.NOT_FOUND, 'NOT_FOUND', `${what} not found`, { metadata: { resource_type: what } });

export const unauthenticated = (message: string, reason = 'UNAUTHENTICATED'): EdgeStatusError =>
  new EdgeStatusError(grpc.status.UNAUTHENTICATED, reason, message);

export const permissionDenied = (message: string, reason = 'PERMISSION_DENIED'): EdgeStatusError =>
  new EdgeStatusError(grpc.status.PERMISSION_DENIED, reason, message);

/**
 * The idempotency key was already used by this consumer for a different request.
 *
 * FAILED_PRECONDITION, not ABORTED or ALREADY_EXISTS: the gRPC litmus test says ABORTED means
 * "retry at a higher level" (client libraries may retry it) and ALREADY_EXISTS reads as "your
 * order exists" — both wrong here, where the same call can never succeed and the new order was
 * NOT placed. The state that must change is the client's choice of key (IETF's idempotency-key
 * draft answers 422 for the same case; Stripe, 400 idempotency_error).
 */
export const idempotencyKeyReused = (): EdgeStatusError =>
  new EdgeStatusError(
    grpc.status.FAILED_PRECONDITION,
    'IDEMPOTENCY_KEY_REUSED',
    'this idempotency key was already used for a different order; use a new key for a new order',
    { preconditionViolations: [{ type: 'IDEMPOTENCY_KEY_REUSED', subject: 'idempotency_key', description: 'use a new idempotency key for a different request' }] },
  );

/**
 * The same key and request are still being processed by an earlier call: ABORTED (a concurrency
 * conflict) with RetryInfo, since repeating the call shortly returns the earlier call's answer.
 */
export const idempotencyKeyInProgress = (retryDelayMs = DEFAULT_RETRY_DELAY_MS): EdgeStatusError =>
  new EdgeStatusError(grpc.status.ABORTED, 'IDEMPOTENCY_KEY_IN_PROGRESS', 'an earlier request with this idempotency key is still being processed; retry shortly', { retryDelayMs });

export interface ToGrpcErrorOptions {
  /** Where unexpected errors (bugs, driver failures) are logged in full, since clients see none of it. */
  logger: Pick<Logger, 'error'>;
  /** The RetryInfo delay sent with transient failures. */
  retryDelayMs?: number;
  /** The call's deadline (`call.getDeadline()`): past it, an undecided failure is DEADLINE_EXCEEDED. */
  deadline?: grpc.Deadline;
  now?: () => number;
}

/**
 * The one mapping from the error taxonomy to a gRPC status with google.rpc details in the
 * `grpc-status-details-bin` trailer, ready for `callback(err)` or `call.destroy(err)`. The
 * `details` text is always a customer-facing message, never an internal one.
 */
export function toGrpcError(err: unknown, codec: StatusCodec, options: ToGrpcErrorOptions): grpc.ServerErrorResponse {
  const rich = richStatusOf(err, options);
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_DETAILS_KEY, codec.encode(rich));
  return Object.assign(new Error(rich.message), { code: rich.code, details: rich.message, metadata });
}

function richStatusOf(err: unknown, options: ToGrpcErrorOptions): RichStatus {
  const info = (reason: string, metadata?: Record<string, string>) => ({ reason, domain: ERROR_DOMAIN, ...(metadata ? { metadata } : {}) });

  // The caller cancelled the call (or went away): nobody reads this answer, and nothing went wrong here.
  if (err instanceof Error && err.name === 'AbortError') return { code: grpc.status.CANCELLED, message: 'the call was cancelled', errorInfo: info('CANCELLED') };
  // A definitive answer stays true after the deadline; anything else is most likely the deadline.
  const definitive = err instanceof EdgeStatusError || err instanceof InvalidInputError || err instanceof FatalError;
  if (!definitive && deadlinePassed(options)) {
    if (!(err instanceof TransientError)) options.logger.error({ err }, 'call failed after its deadline');
    return { code: grpc.status.DEADLINE_EXCEEDED, message: 'the request took longer than its deadline', errorInfo: info('DEADLINE_EXCEEDED') };
  }

  if (err instanceof EdgeStatusError) {
    const { metadata, preconditionViolations, retryDelayMs } = err.extra;
    return {
      code: err.code,
      message: err.customerMessage,
      errorInfo: info(err.reason, metadata),
      ...(preconditionViolations ? { preconditionViolations } : {}),
      ...(retryDelayMs !== undefined ? { retryDelayMs } : {}),
    };
  }
  if (err instanceof InvalidInputError) {
    return {
      code: grpc.status.INVALID_ARGUMENT,
      message: invalidInputMessage(err),
      errorInfo: info('INVALID_REQUEST'),
      fieldViolations: err.violations.map(({ field, description }) => ({ field, description })),
    };
  }
  if (err instanceof BusinessRejection) {
    return {
      code: grpc.status.FAILED_PRECONDITION,
      message: err.customerMessage,
      errorInfo: info(err.reason, err.metadata),
      preconditionViolations: err.violations.map(({ type, subject, description }) => ({ type, subject, description })),
    };
  }
  if (err instanceof FatalError) {
    return { code: grpc.status.FAILED_PRECONDITION, message: err.customerMessage, errorInfo: info(err.reason) };
  }
  if (err instanceof TransientError) {
    // Its message names the dependency that failed: for the logs, not for the client.
    return {
      code: grpc.status.UNAVAILABLE,
      message: 'the service is temporarily unavailable; retry shortly',
      errorInfo: info('TEMPORARILY_UNAVAILABLE'),
      retryDelayMs: options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
    };
  }
  options.logger.error({ err }, 'unexpected error at the gRPC edge');
  return { code: grpc.status.INTERNAL, message: 'internal error', errorInfo: info('INTERNAL') };
}

function deadlinePassed({ deadline, now = Date.now }: ToGrpcErrorOptions): boolean {
  if (deadline === undefined) return false;
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) && now() >= at;
}

// The status message travels in a header: a few violations for humans (grpcurl), the full list
// in BadRequest. Descriptions never echo input values, so this leaks nothing and stays short.
const MESSAGE_VIOLATIONS = 3;

function invalidInputMessage(err: InvalidInputError): string {
  const shown = err.violations.slice(0, MESSAGE_VIOLATIONS).map((v) => `${v.field}: ${v.description}`);
  const more = err.violations.length - shown.length;
  return `invalid request: ${shown.join('; ')}${more > 0 ? `; and ${more} more (see BadRequest details)` : ''}`;
}
