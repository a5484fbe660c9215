import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { DownstreamAdminHandlers } from '../../../src/generated/downstream/v1/DownstreamAdmin.js';
import { adminSecretRequired, invalidArgument } from './downstream-errors.js';
import type { DownstreamState } from './downstream-state.js';
import { faultSpecFromProto } from './faults.js';
import { MAX_PAGE } from './ledger.js';
import { toServiceError } from './service-error.js';
import type { StatusCodec } from '../../../src/grpc/status-details.js';

/**
 * The test and operations surface. Not counted in the ledger's calls, never delayed or faulted:
 * a chaos run must always be able to read the truth and to stop the chaos. It shares the
 * services' port, so every call must carry the shared secret (`authorization: Bearer <secret>`):
 * whoever can reach a payment service must not be able to read its ledger or inject faults.
 */
export function adminHandlers(deps: { state: DownstreamState; codec: StatusCodec; adminSecret: string }): DownstreamAdminHandlers {
  const { state, codec } = deps;
  const holdsSecret = secretCheck(deps.adminSecret);
  const answer = <Req, Res>(work: (req: Req) => Res): grpc.handleUnaryCall<Req, Res> => (call, callback) => {
    try {
      if (!holdsSecret(call.metadata)) throw adminSecretRequired();
      callback(null, work(call.request));
    } catch (err) {
      callback(toServiceError(err, codec));
    }
  };

  return {
    SetFaults: answer((req) => {
      const rules = req.rules.map(faultSpecFromProto);
      state.faults.setRules(rules, req.seed);
      return { rules: rules.length };
    }),
    SetLatency: answer((req) => {
      state.latency.set(req.rules.map((r) => ({ target: r.target, fixedMs: r.fixedMs, jitterMs: r.jitterMs })));
      return { rules: req.rules.length };
    }),
    GetLedger: answer((req) => {
      if (req.afterSeq < 0) throw invalidArgument('after_seq', 'after_seq must not be negative');
      if (req.limit < 0 || req.limit > MAX_PAGE) throw invalidArgument('limit', `limit must be in [0, ${MAX_PAGE}]`);
      const page = state.ledger.page({ orderId: req.orderId, afterSeq: req.afterSeq, limit: req.limit });
      return { entries: page.entries, more: page.more, calls: state.ledger.calls(req.orderId || undefined), inFlight: state.ledger.inFlight() };
    }),
    Reset: answer((req) => {
      state.reset({ clearDefaultFaults: req.clearDefaultFaults });
      return {};
    }),
  };
}

export const MIN_ADMIN_SECRET_LENGTH = 16;

/** A fresh random admin secret, for a cluster or test that starts its own downstream services. */
export const newAdminSecret = (): string => randomBytes(24).toString('base64url');

/** Whether a call's metadata carries the secret; compared in constant time, over digests so lengths may differ. */
function secretCheck(secret: string): (metadata: grpc.Metadata) => boolean {
  if (secret.length < MIN_ADMIN_SECRET_LENGTH) throw new RangeError(`the downstream admin secret must have at least ${MIN_ADMIN_SECRET_LENGTH} characters`);
  const digest = (text: string) => createHash('sha256').update(text).digest();
  const expected = digest(`Bearer ${secret}`);
  return (metadata) => {
    const values = metadata.get('authorization');
    return values.length === 1 && typeof values[0] === 'string' && timingSafeEqual(digest(values[0]), expected);
  };
}
