import { status as GrpcStatus } from '@grpc/grpc-js';

/** How one arrival of a load ended: a terminal order status, refused by the edge, or an error. */
export type LoadOutcome = 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'rejected' | 'error';

export const LOAD_OUTCOMES: readonly LoadOutcome[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'rejected', 'error'];

export interface OrderSample {
  outcome: LoadOutcome;
  /** Clock readings (the load's clock) of the acceptance and of the terminal status. */
  ackAt?: number;
  doneAt?: number;
  /** From the scheduled arrival. */
  ackMs?: number;
  endToEndMs?: number;
  /** For rejections and errors: the status code name, e.g. UNAVAILABLE. */
  detail?: string;
}

/** Answers that refuse this request for good: sending it again would not help. */
const REFUSALS = new Set<number>([
  GrpcStatus.INVALID_ARGUMENT, GrpcStatus.FAILED_PRECONDITION, GrpcStatus.PERMISSION_DENIED,
  GrpcStatus.NOT_FOUND, GrpcStatus.ALREADY_EXISTS, GrpcStatus.UNAUTHENTICATED, GrpcStatus.OUT_OF_RANGE,
]);

/** The name of a gRPC status code (UNAVAILABLE for 14), or undefined for something else. */
export function statusName(code: unknown): string | undefined {
  if (typeof code !== 'number') return undefined;
  return Object.entries(GrpcStatus).find(([, value]) => value === code)?.[0];
}

/**
 * A failed call as a load outcome: a PlaceOrder refusal is `rejected`; anything else — the edge
 * unreachable, a deadline, a watch that broke after acceptance — is an `error`.
 */
export function classifyFailure(err: unknown, accepted: boolean): Pick<OrderSample, 'outcome' | 'detail'> {
  const code = (err as { code?: unknown } | null)?.code;
  const name = statusName(code) ?? (err instanceof Error ? err.name : 'UNKNOWN');
  if (!accepted && typeof code === 'number' && REFUSALS.has(code)) return { outcome: 'rejected', detail: name };
  return { outcome: 'error', detail: accepted ? `${name} (after acceptance)` : name };
}
