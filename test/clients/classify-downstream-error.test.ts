import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { classifyDownstreamError } from '../../src/clients/grpc-checkout-steps.js';
import { DownstreamCallError } from '../../src/clients/downstream-call-error.js';
import { FatalError, TransientError } from '../../src/domain/errors.js';

const callError = (code: number, reason = '') => Object.assign(Object.create(DownstreamCallError.prototype) as DownstreamCallError, { code, reason, message: status[code] ?? String(code) });

describe('a downstream failure in the shared taxonomy', () => {
  it('is transient when the call was cancelled on this side: the service never refused it', () => {
    expect(classifyDownstreamError(callError(status.CANCELLED))).toBeInstanceOf(TransientError);
  });

  it('is transient when the service was unavailable or slow', () => {
    for (const code of [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED]) {
      expect(classifyDownstreamError(callError(code))).toBeInstanceOf(TransientError);
    }
  });

  it('is fatal, with the service\'s reason, when the service refused it', () => {
    const err = classifyDownstreamError(callError(status.FAILED_PRECONDITION, 'CARD_DECLINED'));
    expect(err).toBeInstanceOf(FatalError);
    expect((err as FatalError).reason).toBe('CARD_DECLINED');
  });

  it('is transient when grpc-js reports a broken stream (INTERNAL or UNKNOWN with no reason of the service): the call may have applied', () => {
    for (const code of [status.INTERNAL, status.UNKNOWN]) {
      expect(classifyDownstreamError(callError(code))).toBeInstanceOf(TransientError);
    }
  });

  it('is fatal when the service itself answered INTERNAL with its reason', () => {
    expect(classifyDownstreamError(callError(status.INTERNAL, 'INTERNAL'))).toBeInstanceOf(FatalError);
  });
});
