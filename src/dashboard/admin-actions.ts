import type { DownstreamClients } from '../clients/downstream-clients.js';
import type { FaultRule } from '../generated/downstream/v1/FaultRule.js';
import type { Logger } from '../observability/logger.js';

export interface AdminActions {
  /** Replaces the downstream services' run-time fault rules (an empty list clears them). */
  setFaults(rules: FaultRule[], by: string): Promise<number>;
  /** Stops this node the way SIGTERM does; false when this node cannot be stopped from here. */
  stopSelf(by: string): boolean;
  /** Asks another node's own API to stop it, with the caller's token; its HTTP status and body. */
  stopOther(adminAddress: string, authorization: string): Promise<{ status: number; body: unknown }>;
}

/**
 * What the dashboard's admin controls do. The stop itself is whatever the process owner gave
 * (node-main sends itself SIGTERM), so there is one graceful path, not two.
 */
export function createAdminActions(opts: { nodeId: string; downstream: DownstreamClients; requestStop?: () => void; logger: Logger }): AdminActions {
  let stopping = false;
  return {
    async setFaults(rules, by) {
      const answer = await opts.downstream.admin.setFaults({ rules });
      opts.logger.warn({ by, rules }, 'downstream fault rules set from the dashboard');
      return answer.rules;
    },
    stopSelf(by) {
      if (!opts.requestStop) return false;
      if (!stopping) {
        stopping = true;
        opts.logger.warn({ by }, 'stop requested from the dashboard');
        // After the answer is on its way: the stop closes this HTTP server.
        setTimeout(opts.requestStop, 100);
      }
      return true;
    },
    async stopOther(adminAddress, authorization) {
      const res = await fetch(`http://${adminAddress}/api/admin/stop`, {
        method: 'POST', headers: { authorization }, signal: AbortSignal.timeout(5_000),
      });
      const text = await res.text();
      let body: unknown = text;
      try { body = JSON.parse(text) as unknown; } catch { /* not JSON: passed on as text */ }
      return { status: res.status, body };
    },
  };
}
