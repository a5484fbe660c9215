/**
 * The peer as a system under load, shaped like our bench cluster for `runAtRate`: the project's
 * downstream services, one restate-server and one service process (the SDK endpoint running
 * `peer-checkout.ts`), registered with the server. `place` invokes the checkout with `/send`
 * (idempotency key = order id) and resolves at the ingress's answer; the order is complete when
 * the handler's response arrives through `attach`.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { projectPath } from '../../../src/config/paths.js';
import type { OrderStatus } from '../../../src/domain/order.js';
import { createDownstreamClients, type DownstreamClients } from '../../../src/clients/downstream-clients.js';
import { validatePlaceOrder } from '../../../src/edge/place-order-validation.js';
import type { PlaceOrderRequest__Output } from '../../../src/generated/checkout/v1/PlaceOrderRequest.js';
import { placeRequest } from '../../../src/load/demo-orders.js';
import { freePorts } from '../../local/cassandra/free-port.js';
import { newAdminSecret } from '../../local/downstream/admin-service.js';
import { startServiceProcess, type LogLine, type ServiceProcess } from '../../local/service-process.js';
import { processCpuSeconds, type Terminal } from '../bench-cluster.js';
import { createIngressClient } from './ingress-client.js';
import { PEER_HANDLER, PEER_OBJECT, type PeerCheckoutResult } from './peer-checkout.js';
import type { PeerInstall } from './peer-install.js';
import { startRestateServer, type RestateServer } from './restate-server.js';
import { terminalTracker } from './terminal-tracker.js';

export interface PeerSystem {
  place(i: number): Promise<string>;
  terminal: Map<string, Terminal>;
  waitTerminal(ids: readonly string[], timeoutMs: number): Promise<string[]>;
  cpuSeconds(): Promise<Record<string, number>>;
  downstream: DownstreamClients;
  /** Every JSON line of the service process (each incarnation) from now on. */
  onServiceLine(listener: (line: LogLine) => void): () => void;
  /** SIGKILL of the service process, then a new one on the same port at once (as its deployment would restart it). */
  killAndRestartService(opts: { progressLog: boolean }): Promise<{ killedAt: number; readyAt: number }>;
  stop(): Promise<void>;
}

const CONSUMERS = 50;

export async function startPeerSystem(opts: { install: PeerInstall; log: (message: string) => void }): Promise<PeerSystem> {
  const dir = projectPath('.run', `bench-peer-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(dir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => { for (const s of stops.reverse()) await s().catch(() => undefined); stops.length = 0; };
  try {
    const adminSecret = newAdminSecret();
    const downstreamProc = await startServiceProcess({
      name: 'downstream', entry: 'dist/cluster/local/downstream/downstream-main.js', readyMessage: 'downstream ready', logFile: join(dir, 'downstream.log'),
      env: { ...process.env, LOG_LEVEL: 'warn', DOWNSTREAM_ADMIN_SECRET: adminSecret },
    });
    stops.push(() => downstreamProc.stop());
    const downstreamAddress = String(downstreamProc.ready.address);
    const downstream = createDownstreamClients(downstreamAddress, { adminSecret });
    stops.push(async () => downstream.close());

    const server: RestateServer = await startRestateServer({ binary: opts.install.serverBinary, dir: join(dir, 'restate'), log: opts.log });
    stops.push(() => server.stop());

    const [servicePort] = await freePorts('127.0.0.1', 1) as [number];
    const listeners = new Set<(line: LogLine) => void>();
    let service: ServiceProcess | undefined;
    let incarnation = 0;
    const startService = async (progressLog: boolean) => {
      incarnation++;
      const proc = await startServiceProcess({
        name: `peer-service-${incarnation}`, entry: 'dist/cluster/bench/peer/peer-service-main.js', readyMessage: 'peer service ready',
        logFile: join(dir, 'peer-service.log'),
        env: { ...process.env, PORT: String(servicePort), DOWNSTREAM_ADDRESS: downstreamAddress, RESTATE_SDK_ENTRY: opts.install.sdkEntry, PEER_PROGRESS_LOG: progressLog ? '1' : '0' },
      });
      proc.onLine((line) => { for (const l of listeners) l(line); });
      service = proc;
    };
    await startService(false);
    stops.push(async () => { await service?.stop(5_000); });
    await server.register(`http://127.0.0.1:${servicePort}`);

    const ingress = createIngressClient(server.ingressUrl);
    stops.push(async () => ingress.close());
    const tracker = terminalTracker();
    let stopped = false;
    const awaitResponse = async (orderId: string, invocationId: string) => {
      for (let attempt = 0; !stopped; attempt++) {
        try {
          const result = await ingress.attach(invocationId) as PeerCheckoutResult;
          const status: OrderStatus = result?.status === 'COMPLETED' ? 'COMPLETED' : 'FAILED';
          tracker.settle(orderId, status);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, Math.min(1_000, 100 * 2 ** attempt)));
        }
      }
    };
    const place = async (i: number) => {
      const consumerId = `c-bench-${i % CONSUMERS}`;
      const input = validatePlaceOrder(placeRequest(consumerId) as PlaceOrderRequest__Output, { consumerId, admin: false });
      const orderId = `o-${randomUUID()}`;
      const invocationId = await ingress.send(PEER_OBJECT, orderId, PEER_HANDLER, input, orderId);
      void awaitResponse(orderId, invocationId);
      return orderId;
    };
    const cpuSeconds = async () => {
      const pids: Record<string, number> = { bench: process.pid, downstream: downstreamProc.pid, 'restate-server': server.process.pid };
      if (service) pids['peer-service'] = service.pid;
      const out: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids)) out[name] = await processCpuSeconds(pid);
      return out;
    };
    return {
      place, terminal: tracker.terminal, waitTerminal: tracker.waitTerminal, cpuSeconds, downstream,
      onServiceLine: (l) => { listeners.add(l); return () => listeners.delete(l); },
      async killAndRestartService({ progressLog }) {
        const killedAt = Date.now();
        await service?.kill();
        await startService(progressLog);
        return { killedAt, readyAt: Date.now() };
      },
      async stop() { stopped = true; await stopAll(); },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
