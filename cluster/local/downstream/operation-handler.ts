import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../../src/observability/logger.js';
import { DownstreamError, invalidArgument } from './downstream-errors.js';
import type { FaultContext, FaultInjector } from './faults.js';
import type { KeyStore } from './key-store.js';
import type { LatencyTable } from './latency.js';
import type { Ledger, LedgerDraft } from './ledger.js';
import type { Operation } from '../../../src/clients/downstream-operations.js';
import { toServiceError } from './service-error.js';
import type { StatusCodec } from '../../../src/grpc/status-details.js';
import { requireText } from './validate.js';

/** What every operation handler needs, passed in once by the server. */
export interface Runtime {
  ledger: Ledger;
  faults: FaultInjector;
  latency: LatencyTable;
  codec: StatusCodec;
  logger: Logger;
}

/** The result of applying a mutation: the reply, and the ledger entry if anything changed. */
export interface Applied<Res> {
  response: Res;
  ledger?: Omit<LedgerDraft, 'operation' | 'idempotencyKey' | 'orderId'>;
}

export interface QuerySpec<Req, Res> {
  operation: Operation;
  /** Throws INVALID_ARGUMENT. */
  validate(req: Req): void;
  /** Stands in for an idempotency key when a fault counts first_calls. */
  callKey(req: Req): string;
  faultContext(req: Req): FaultContext;
  answer(req: Req): Res;
}

interface Keyed {
  idempotencyKey: string;
  orderId: string;
}

export interface MutationSpec<Req extends Keyed, Res> {
  operation: Operation;
  keys: KeyStore<Res>;
  validate(req: Req): void;
  faultContext(req: Req): FaultContext;
  /**
   * Forward steps can be refused for business reasons. Compensations cannot: the saga retries
   * them until they succeed, so a business refusal there would strand the order.
   */
  fatalFaults: boolean;
  /** Synchronous on purpose: nothing can interleave between the key lookup and the change. */
  apply(req: Req): Applied<Res>;
  /** The ledger's name for the change when another operation opens the same resource (a second channel). */
  ledgerOperation?: Operation;
}

const CALLER_GONE = Symbol('caller gone');

export function queryHandler<Req, Res>(runtime: Runtime, spec: QuerySpec<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return serve(runtime, spec.operation, async (call) => {
    const req = call.request;
    spec.validate(req);
    await pause(runtime.latency.delayFor(spec.operation), call);
    if (callerGone(call)) return CALLER_GONE;
    const transient = runtime.faults.transient(spec.operation, spec.faultContext(req), spec.callKey(req));
    if (transient) throw transient.error;
    return spec.answer(req);
  });
}

/**
 * Order of checks: transient faults first (the network fails whatever the key's history), then
 * the key's recorded outcome, then business refusals, then the change itself.
 */
export function mutationHandler<Req extends Keyed, Res>(runtime: Runtime, spec: MutationSpec<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return serve(runtime, spec.operation, async (call) => {
    const req = call.request;
    requireText(req.idempotencyKey, 'idempotency_key');
    requireText(req.orderId, 'order_id');
    spec.validate(req);
    await pause(runtime.latency.delayFor(spec.operation), call);
    if (callerGone(call)) return CALLER_GONE;
    const context = spec.faultContext(req);
    const transient = runtime.faults.transient(spec.operation, context, req.idempotencyKey);
    if (!transient) return applyOnce(runtime, spec, req, context);
    if (transient.applyThenFail) {
      try {
        applyOnce(runtime, spec, req, context);
      } catch (err) {
        // The reply is lost either way; only a bug may surface.
        if (!(err instanceof DownstreamError)) throw err;
      }
    }
    throw transient.error;
  });
}

function applyOnce<Req extends Keyed, Res>(runtime: Runtime, spec: MutationSpec<Req, Res>, req: Req, context: FaultContext): Res {
  const key = req.idempotencyKey;
  const prior = spec.keys.get(key);
  if (prior) {
    if (prior.orderId !== req.orderId) {
      throw invalidArgument('idempotency_key', `idempotency_key ${key} was already used by order ${prior.orderId}`);
    }
    if (prior.kind === 'failed') throw prior.error;
    if (prior.ledgerSeq !== undefined) runtime.ledger.bumpReplay(prior.ledgerSeq);
    return prior.response;
  }
  const refusal = spec.fatalFaults ? runtime.faults.fatal(spec.operation, context, key) : undefined;
  if (refusal) {
    spec.keys.record(key, { kind: 'failed', orderId: req.orderId, error: refusal.error });
    throw refusal.error;
  }
  let applied: Applied<Res>;
  try {
    applied = spec.apply(req);
  } catch (err) {
    if (err instanceof DownstreamError && err.finalForKey) spec.keys.record(key, { kind: 'failed', orderId: req.orderId, error: err });
    throw err;
  }
  const entry = applied.ledger
    ? runtime.ledger.append({ operation: spec.ledgerOperation ?? spec.operation, idempotencyKey: key, orderId: req.orderId, ...applied.ledger })
    : undefined;
  spec.keys.record(key, {
    kind: 'applied',
    orderId: req.orderId,
    response: applied.response,
    refId: applied.ledger?.refId ?? '',
    ...(entry ? { ledgerSeq: entry.seq } : {}),
  });
  return applied.response;
}

type UnaryCall<Req, Res> = grpc.ServerUnaryCall<Req, Res>;

function serve<Req, Res>(
  runtime: Runtime,
  operation: Operation,
  work: (call: UnaryCall<Req, Res>) => Promise<Res | typeof CALLER_GONE>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const orderId: unknown = (call.request as { orderId?: unknown } | undefined)?.orderId;
    runtime.ledger.countCall(operation, typeof orderId === 'string' ? orderId : undefined);
    work(call).finally(() => runtime.ledger.callEnded(operation)).then(
      (result) => {
        if (result !== CALLER_GONE && !callerGone(call)) callback(null, result);
      },
      (err: unknown) => {
        if (err instanceof DownstreamError) runtime.logger.debug({ operation, reason: err.reason }, 'downstream call refused');
        else runtime.logger.error({ err, operation }, 'downstream operation failed unexpectedly');
        // grpc-js has already told a caller whose deadline passed; a late reply would be a lie.
        if (!callerGone(call)) callback(toServiceError(err, runtime.codec));
      },
    );
  };
}

function deadlineOf(call: UnaryCall<unknown, unknown>): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

function callerGone(call: UnaryCall<unknown, unknown>): boolean {
  return call.cancelled || Date.now() >= deadlineOf(call);
}

/** Sleeps the injected latency, but no longer than the caller waits. */
function pause(ms: number, call: UnaryCall<unknown, unknown>): Promise<void> {
  const wait = Math.min(ms, deadlineOf(call) - Date.now());
  if (!(wait > 0)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      call.off('cancelled', done);
      resolve();
    };
    const timer = setTimeout(done, wait);
    call.once('cancelled', done);
  });
}
