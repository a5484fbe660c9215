import * as grpc from '@grpc/grpc-js';
import { DownstreamError, ERROR_DOMAIN, internalError } from './downstream-errors.js';
import { STATUS_DETAILS_KEY, type StatusCodec } from '../../../src/grpc/status-details.js';

/**
 * The gRPC form of a refusal: status code, message, and a google.rpc.Status trailer with the
 * ErrorInfo reason (and BadRequest field for invalid input). Anything that is not a
 * DownstreamError is a bug and leaves as INTERNAL, without its message.
 */
export function toServiceError(err: unknown, codec: StatusCodec): grpc.ServerErrorResponse {
  const e = err instanceof DownstreamError ? err : internalError('internal error');
  const metadata = new grpc.Metadata();
  metadata.set(
    STATUS_DETAILS_KEY,
    codec.encode({
      code: e.code,
      message: e.message,
      errorInfo: { reason: e.reason, domain: ERROR_DOMAIN },
      ...(e.field ? { fieldViolations: [{ field: e.field, description: e.message }] } : {}),
    }),
  );
  return Object.assign(new Error(e.message), { code: e.code, details: e.message, metadata });
}
