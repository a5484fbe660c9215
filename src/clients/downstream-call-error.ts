import type * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { StatusCodec } from '../grpc/status-details.js';

const RETRIABLE = new Set<number>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED]);

/**
 * A failed downstream call, with what the caller branches on already decoded: the status code,
 * the ErrorInfo reason from the trailer, and whether retrying with the same key can help.
 */
export class DownstreamCallError extends Error {
  override readonly name = 'DownstreamCallError';
  readonly code: grpc.status;
  readonly details: string;
  readonly metadata: grpc.Metadata;
  /** The google.rpc.ErrorInfo reason; empty when the server sent none (say, a client-side deadline). */
  readonly reason: string;
  readonly fieldViolations: Array<{ field: string; description: string }>;

  constructor(
    readonly method: string,
    err: grpc.ServiceError,
    codec: StatusCodec,
  ) {
    super(`${method}: ${status[err.code] ?? err.code}: ${err.details}`);
    this.code = err.code;
    this.details = err.details;
    this.metadata = err.metadata;
    const decoded = codec.fromMetadata(err.metadata);
    this.reason = decoded?.errorInfo?.reason ?? '';
    this.fieldViolations = (decoded?.badRequest?.fieldViolations ?? []).map((v) => ({ field: v.field, description: v.description }));
  }

  /** Transient: the same call with the same idempotency key may succeed later. */
  get retriable(): boolean {
    return RETRIABLE.has(this.code);
  }
}
