import * as grpc from '@grpc/grpc-js';
import { describe, expect, it, vi } from 'vitest';
import { BusinessRejection, FatalError, InvalidInputError, TransientError } from '../../src/domain/errors.js';
import { AuthError } from '../../src/edge/auth.js';
import {
  ERROR_DOMAIN, idempotencyKeyInProgress, idempotencyKeyReused, notFound, permissionDenied, toGrpcError, unauthenticated,
} from '../../src/edge/rich-errors.js';
import { createStatusCodec, durationToMs, STATUS_DETAILS_KEY, type DecodedStatus } from '../../src/grpc/status-details.js';

const codec = createStatusCodec();
const quietLogger = () => ({ error: vi.fn() });

/** Maps an error the way a handler would, then reads it back the way a client would. */
function roundTrip(err: unknown, options: Partial<Parameters<typeof toGrpcError>[2]> = {}) {
  const logger = quietLogger();
  const sent = toGrpcError(err, codec, { logger, ...options });
  const decoded = codec.fromMetadata(sent.metadata) as DecodedStatus;
  return { sent, decoded, logger };
}

describe('toGrpcError: the taxonomy as gRPC status with google.rpc details', () => {
  it('invalid input is INVALID_ARGUMENT with every field violation in BadRequest', () => {
    const err = new InvalidInputError([
      { field: 'lines[2].quantity', description: 'must be between 1 and 99' },
      { field: 'delivery_address.postal_code', description: 'is required' },
    ]);
    const { sent, decoded } = roundTrip(err);
    expect(sent.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(decoded.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(decoded.badRequest?.fieldViolations.map((v) => [v.field, v.description])).toEqual([
      ['lines[2].quantity', 'must be between 1 and 99'],
      ['delivery_address.postal_code', 'is required'],
    ]);
    expect(decoded.errorInfo).toMatchObject({ reason: 'INVALID_REQUEST', domain: ERROR_DOMAIN });
  });

  it('invalid input names a few fields in the status message and counts the rest', () => {
    const violations = Array.from({ length: 7 }, (_, i) => ({ field: `lines[${i}].note`, description: 'too long' }));
    const { sent } = roundTrip(new InvalidInputError(violations));
    expect(sent.details).toContain('lines[0].note');
    expect(sent.details).toContain('and 4 more');
  });

  it('a business rejection is FAILED_PRECONDITION with its subjects, reason and metadata', () => {
    const err = new BusinessRejection(
      'ITEM_UNAVAILABLE',
      'Spicy tofu is sold out: remove it or pick another dish.',
      [{ type: 'ITEM_UNAVAILABLE', subject: 'items/m-1-tofu', description: 'sold out today' }],
      { merchant_id: 'm-1', opens_at: '2026-11-26T09:00:00Z' },
    );
    const { sent, decoded } = roundTrip(err);
    expect(sent.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(sent.details).toBe('Spicy tofu is sold out: remove it or pick another dish.');
    expect(decoded.preconditionFailure?.violations).toEqual([{ type: 'ITEM_UNAVAILABLE', subject: 'items/m-1-tofu', description: 'sold out today' }]);
    expect(decoded.errorInfo).toEqual({ reason: 'ITEM_UNAVAILABLE', domain: ERROR_DOMAIN, metadata: { merchant_id: 'm-1', opens_at: '2026-11-26T09:00:00Z' } });
  });

  it('any other fatal error is FAILED_PRECONDITION showing only its customer message', () => {
    const err = new FatalError('CARD_DECLINED', 'Your card was declined: try another card.', 'payments.authorize: card 4000…0002 declined by issuer');
    const { sent, decoded } = roundTrip(err);
    expect([sent.code, sent.details]).toEqual([grpc.status.FAILED_PRECONDITION, 'Your card was declined: try another card.']);
    expect(decoded.errorInfo?.reason).toBe('CARD_DECLINED');
    expect(decoded.message).not.toContain('4000');
  });

  it('a transient failure is UNAVAILABLE with RetryInfo and none of its internal message', () => {
    const { sent, decoded } = roundTrip(new TransientError('cassandra write timeout on checkout.idempotency_keys'), { retryDelayMs: 2_500 });
    expect(sent.code).toBe(grpc.status.UNAVAILABLE);
    expect(decoded.retryInfo?.retryDelay && durationToMs(decoded.retryInfo.retryDelay)).toBe(2_500);
    expect(decoded.errorInfo?.reason).toBe('TEMPORARILY_UNAVAILABLE');
    expect(`${sent.details} ${decoded.message}`).not.toMatch(/cassandra|idempotency_keys/);
  });

  it('a transient failure asks for a one second wait unless configured otherwise', () => {
    const { decoded } = roundTrip(new TransientError('busy'));
    expect(decoded.retryInfo?.retryDelay).toEqual({ seconds: 1, nanos: 0 });
  });

  it('an unknown error is INTERNAL with none of its text, and is logged in full', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'orderId') in OrderRepository.loadRow");
    const { sent, decoded, logger } = roundTrip(bug);
    expect(sent.code).toBe(grpc.status.INTERNAL);
    const visible = `${sent.message} ${sent.details} ${decoded.message} ${JSON.stringify(decoded)}`;
    for (const leak of ['orderId', 'OrderRepository', 'TypeError', 'undefined', 'loadRow']) expect(visible).not.toContain(leak);
    expect(logger.error).toHaveBeenCalledWith({ err: bug }, expect.any(String));
  });

  it('work stopped because the caller cancelled is CANCELLED, not an unexpected error', () => {
    const { sent, logger } = roundTrip(new DOMException('This operation was aborted', 'AbortError'));
    expect(sent.code).toBe(grpc.status.CANCELLED);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('a thrown non-Error value is INTERNAL too', () => {
    const { sent } = roundTrip('SELECT * FROM orders failed');
    expect([sent.code, sent.details]).toEqual([grpc.status.INTERNAL, 'internal error']);
  });

  it('a failure after the call deadline is DEADLINE_EXCEEDED', () => {
    const { sent, decoded } = roundTrip(new TransientError('kafka ack timed out'), { deadline: 1_000, now: () => 1_001 });
    expect([sent.code, decoded.errorInfo?.reason]).toEqual([grpc.status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED']);
  });

  it('a failure before the call deadline keeps its own status', () => {
    const { sent } = roundTrip(new TransientError('kafka ack timed out'), { deadline: new Date(5_000), now: () => 1_000 });
    expect(sent.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('a call without a deadline (Infinity) never becomes DEADLINE_EXCEEDED', () => {
    const { sent } = roundTrip(new TransientError('busy'), { deadline: Infinity });
    expect(sent.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('a definitive answer stays itself after the deadline', () => {
    const { sent } = roundTrip(new InvalidInputError([{ field: 'tip_minor', description: 'must be an integer' }]), { deadline: 1, now: () => 2 });
    expect(sent.code).toBe(grpc.status.INVALID_ARGUMENT);
  });
});

describe('named edge errors', () => {
  it('notFound is NOT_FOUND, identical whether the order is missing or belongs to someone else', () => {
    // The handler calls notFound('order') in both cases; nothing about the order may vary the answer.
    const missing = roundTrip(notFound('order'));
    const someoneElses = roundTrip(notFound('order'));
    expect(missing.sent.code).toBe(grpc.status.NOT_FOUND);
    expect(missing.sent.details).toBe(someoneElses.sent.details);
    expect(missing.sent.metadata?.get(STATUS_DETAILS_KEY)).toEqual(someoneElses.sent.metadata?.get(STATUS_DETAILS_KEY));
  });

  it('unauthenticated is UNAUTHENTICATED with its message', () => {
    const { sent, decoded } = roundTrip(unauthenticated('sign in'));
    expect([sent.code, sent.details, decoded.errorInfo?.reason]).toEqual([grpc.status.UNAUTHENTICATED, 'sign in', 'UNAUTHENTICATED']);
  });

  it('a refused token is UNAUTHENTICATED with the reason that says why', () => {
    const { sent, decoded } = roundTrip(new AuthError('TOKEN_EXPIRED'));
    expect([sent.code, decoded.errorInfo?.reason]).toEqual([grpc.status.UNAUTHENTICATED, 'TOKEN_EXPIRED']);
  });

  it('permissionDenied is PERMISSION_DENIED with its reason', () => {
    const { sent, decoded } = roundTrip(permissionDenied('admins only', 'ADMIN_REQUIRED'));
    expect([sent.code, sent.details, decoded.errorInfo?.reason]).toEqual([grpc.status.PERMISSION_DENIED, 'admins only', 'ADMIN_REQUIRED']);
  });

  it('a reused idempotency key is FAILED_PRECONDITION with reason IDEMPOTENCY_KEY_REUSED', () => {
    const { sent, decoded } = roundTrip(idempotencyKeyReused());
    expect([sent.code, decoded.errorInfo?.reason]).toEqual([grpc.status.FAILED_PRECONDITION, 'IDEMPOTENCY_KEY_REUSED']);
    expect(decoded.preconditionFailure?.violations[0]).toMatchObject({ type: 'IDEMPOTENCY_KEY_REUSED', subject: 'idempotency_key' });
  });

  it('a key still in progress is ABORTED with a retry delay', () => {
    const { sent, decoded } = roundTrip(idempotencyKeyInProgress(250));
    expect([sent.code, decoded.errorInfo?.reason]).toEqual([grpc.status.ABORTED, 'IDEMPOTENCY_KEY_IN_PROGRESS']);
    expect(decoded.retryInfo?.retryDelay).toEqual({ seconds: 0, nanos: 250_000_000 });
  });
});

describe('the trailer over a real gRPC call', () => {
  it('a client receives the status, message and details a handler failed with', async () => {
    const err = toGrpcError(
      new InvalidInputError(Array.from({ length: 170 }, (_, i) => ({ field: `lines[${i}].note`, description: 'must be at most 200 characters' }))),
      codec,
      { logger: quietLogger() },
    );
    const received = await failOneCall(err);
    expect(received.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(received.details).toBe(err.details);
    expect(codec.fromMetadata(received.metadata)?.badRequest?.fieldViolations).toHaveLength(170);
  });
});

/** Serves one unary method that fails with `err`; returns what a grpc-js client sees. */
async function failOneCall(err: grpc.ServerErrorResponse): Promise<grpc.ServiceError> {
  const method = {
    path: '/test.Fail/Call',
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  };
  const server = new grpc.Server();
  server.addService({ Call: method }, { Call: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(err) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    return await new Promise<grpc.ServiceError>((resolve, reject) => {
      client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, Buffer.alloc(0), (e) =>
        (e ? resolve(e) : reject(new Error('the call succeeded'))));
    });
  } finally {
    client.close();
    server.forceShutdown();
  }
}
