import type * as grpc from '@grpc/grpc-js';
import type { DownstreamAdminHandlers } from '../../../src/generated/downstream/v1/DownstreamAdmin.js';
import { invalidArgument } from './downstream-errors.js';
import type { DownstreamState } from './downstream-state.js';
import { faultSpecFromProto } from './faults.js';
import { MAX_PAGE } from './ledger.js';
import { toServiceError } from './service-error.js';
import type { StatusCodec } from '../../../src/grpc/status-details.js';

/**
 * The test and operations surface. Not counted in the ledger's calls, never delayed or faulted:
 * a chaos run must always be able to read the truth and to stop the chaos.
 */
export function adminHandlers(deps: { state: DownstreamState; codec: StatusCodec }): DownstreamAdminHandlers {
  const { state, codec } = deps;
  const answer = <Req, Res>(work: (req: Req) => Res): grpc.handleUnaryCall<Req, Res> => (call, callback) => {
    try {
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
