import type { Metadata } from '@grpc/grpc-js';
import type { DecodedStatus, StatusCodec } from '../grpc/status-details.js';
import { durationToMs } from '../grpc/status-details.js';
import { statusName } from '../load/load-outcomes.js';

/** A failed call as the CLI reports it: the status code's name and the google.rpc details. */
export interface CallErrorReport {
  code: string;
  message: string;
  reason?: string;
  domain?: string;
  fieldViolations: Array<{ field: string; description: string }>;
  preconditionViolations: Array<{ type: string; subject: string; description: string }>;
  retryDelayMs?: number;
}

/** A thrown value from grpc-js (ServiceError) as a report; undefined when it is not a gRPC error. */
export function callErrorReport(err: unknown, codec: StatusCodec): CallErrorReport | undefined {
  const e = err as { code?: unknown; details?: unknown; metadata?: Metadata } | null;
  const code = statusName(e?.code);
  if (!e || !code) return undefined;
  const decoded: DecodedStatus | undefined = codec.fromMetadata(e.metadata);
  const report: CallErrorReport = {
    code,
    message: decoded?.message || (typeof e.details === 'string' ? e.details : ''),
    fieldViolations: decoded?.badRequest?.fieldViolations.map((v) => ({ field: v.field, description: v.description })) ?? [],
    preconditionViolations: decoded?.preconditionFailure?.violations.map((v) => ({ type: v.type, subject: v.subject, description: v.description })) ?? [],
  };
  if (decoded?.errorInfo?.reason) {
    report.reason = decoded.errorInfo.reason;
    report.domain = decoded.errorInfo.domain;
  }
  if (decoded?.retryInfo?.retryDelay) report.retryDelayMs = durationToMs(decoded.retryInfo.retryDelay);
  return report;
}

/** One readable line for the status, then one per detail. */
export function formatCallError(r: CallErrorReport): string[] {
  return [
    `error: ${r.code}: ${r.message}`,
    ...(r.reason ? [`  reason: ${r.reason}${r.domain ? ` (${r.domain})` : ''}`] : []),
    ...r.fieldViolations.map((v) => `  field ${v.field}: ${v.description}`),
    ...r.preconditionViolations.map((v) => `  precondition ${v.type} on ${v.subject}: ${v.description}`),
    ...(r.retryDelayMs !== undefined ? [`  retry after ${r.retryDelayMs} ms`] : []),
  ];
}
