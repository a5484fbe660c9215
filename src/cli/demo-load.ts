import type { LoadCalls } from '../load/checkout-load.js';
import { startCheckoutLoad } from '../load/checkout-load.js';
import { demoConsumers } from '../load/demo-orders.js';
import { createDownstreamClients } from '../clients/downstream-clients.js';
import { applyFaultMix, type FaultMixEntry } from '../load/fault-mix.js';
import { createCheckoutCli } from './client.js';
import { resolveCredentials } from './credentials.js';
import { progressLine, showLoadProgress } from './load-progress.js';

export interface DemoLoadOptions {
  /** gRPC addresses of the nodes; calls go round-robin over them. */
  addresses: readonly string[];
  downstreamAddress: string;
  /** The downstream admin API's shared secret, for the fault mix. */
  downstreamAdminSecret: string;
  secret: string;
  ratePerSec: number;
  faults: readonly FaultMixEntry[];
  consumers?: number;
  stream: NodeJS.WritableStream;
  tty: boolean;
}

export interface DemoLoad { stop(): Promise<void> }

/**
 * `npm start`'s endless demo load: the CLI's load (open loop, each order watched to its end)
 * spread over every node, with the fault mix set on the downstream services and a progress bar
 * (or a line every few seconds when the output is not a terminal).
 */
export async function startDemoLoad(opts: DemoLoadOptions): Promise<DemoLoad> {
  const credentials = resolveCredentials({ secret: opts.secret, env: {} });
  const clients = opts.addresses.map((address) => createCheckoutCli({ address, credentials, deadlineMs: 10_000 }));
  const calls = clients.map((c) => c.loadCalls());
  let turn = 0;
  // An order stays on the node that accepted it: that node knows it at once, another learns of
  // it only through order-events, so a watch there right away could answer NOT_FOUND.
  const nodeOf = new Map<string, LoadCalls>();
  const on = (orderId: string): LoadCalls => nodeOf.get(orderId) ?? calls[0]!;
  const spread: LoadCalls = {
    async place(request) {
      const node = calls[turn++ % calls.length]!;
      const placed = await node.place(request);
      nodeOf.set(placed.orderId, node);
      return placed;
    },
    watchToTerminal: (orderId, consumerId) => on(orderId).watchToTerminal(orderId, consumerId).finally(() => nodeOf.delete(orderId)),
    cancel: (orderId, consumerId) => on(orderId).cancel(orderId, consumerId),
  };
  const downstream = createDownstreamClients(opts.downstreamAddress, { adminSecret: opts.downstreamAdminSecret });
  // Kept open while the demo runs: faults with a window are switched on and off on schedule.
  const clearFaults = await applyFaultMix(downstream.admin, opts.faults, { onError: () => undefined });
  const load = startCheckoutLoad({
    calls: spread,
    consumers: demoConsumers(opts.consumers ?? 20, 'c-demo'),
    ratePerSec: opts.ratePerSec,
    durationMs: Number.POSITIVE_INFINITY,
    // A few cancels, so compensations show on the dashboard too.
    cancelFraction: 0.05,
  });
  const progress = showLoadProgress(load, { label: 'demo', stream: opts.stream, tty: opts.tty });
  return {
    async stop() {
      load.stop();
      progress.stop();
      if (!opts.tty) opts.stream.write(`${progressLine('demo', load.progress())}\n`);
      for (const c of clients) c.close();
      await clearFaults().catch(() => undefined);
      downstream.close();
    },
  };
}
