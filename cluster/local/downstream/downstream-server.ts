import { startGrpcServer } from '../../../src/edge/grpc-server.js';
import { loadDownstreamProto } from '../../../src/grpc/protos.js';
import type { Logger } from '../../../src/observability/logger.js';
import { adminHandlers } from './admin-service.js';
import { catalogHandlers } from './catalog-service.js';
import { createDownstreamState, type DownstreamState } from './downstream-state.js';
import type { FaultSpec } from './faults.js';
import { fraudHandlers } from './fraud-service.js';
import type { LatencySpec } from './latency.js';
import { logisticsHandlers } from './logistics-service.js';
import { merchantHandlers } from './merchant-service.js';
import type { Runtime } from './operation-handler.js';
import { paymentsHandlers } from './payments-service.js';
import { createStatusCodec } from '../../../src/grpc/status-details.js';

export interface DownstreamServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port, reported in the handle. */
  port?: number;
  latency?: readonly LatencySpec[];
  /** Rules in force from the start, on top of the built-in ones. */
  faults?: readonly FaultSpec[];
  /** The shared secret the admin API (faults, latency, ledgers) demands of every call. */
  adminSecret: string;
  /** Seeds rate faults and jitter; a random seed (reported in the handle and the log) when unset. */
  seed?: number;
  logger: Logger;
  now?: () => number;
}

export interface DownstreamServer {
  /** host:port, for clients. */
  address: string;
  port: number;
  seed: number;
  /** The simulators' memory, for in-process tests that look behind the gRPC surface. */
  state: DownstreamState;
  /** Lets running calls finish for up to graceMs (default 2 s), then cuts them. */
  stop(graceMs?: number): Promise<void>;
}

const SERVICE_NAMES = ['CatalogService', 'FraudService', 'PaymentsService', 'LogisticsService', 'MerchantService', 'DownstreamAdmin'];

/** All six downstream services on one port, with health (SERVING once bound) and reflection. */
export async function startDownstreamServer(opts: DownstreamServerOptions): Promise<DownstreamServer> {
  const seed = opts.seed ?? Math.floor(Math.random() * 0xffffffff) + 1;
  const state = createDownstreamState({
    seed,
    ...(opts.latency ? { latency: opts.latency } : {}),
    ...(opts.faults ? { faults: opts.faults } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const codec = createStatusCodec();
  const runtime: Runtime = { ledger: state.ledger, faults: state.faults, latency: state.latency, codec, logger: opts.logger };
  const proto = loadDownstreamProto();
  const v1 = proto.grpc.downstream.v1;

  const handle = await startGrpcServer({
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    reflect: [proto.definition],
    register(server) {
      server.addService(v1.CatalogService.service, catalogHandlers(runtime, state.world));
      server.addService(v1.FraudService.service, fraudHandlers(runtime, { world: state.world, keys: state.fraudKeys }));
      server.addService(v1.PaymentsService.service, paymentsHandlers(runtime, state.payments));
      server.addService(v1.LogisticsService.service, logisticsHandlers(runtime, { world: state.world, desk: state.deliveries }));
      server.addService(v1.MerchantService.service, merchantHandlers(runtime, { world: state.world, desk: state.tickets }));
      server.addService(v1.DownstreamAdmin.service, adminHandlers({ state, codec, adminSecret: opts.adminSecret }));
    },
  });
  handle.health.setStatus('', 'SERVING');
  for (const name of SERVICE_NAMES) handle.health.setStatus(`downstream.v1.${name}`, 'SERVING');
  opts.logger.info({ address: handle.address, seed }, 'downstream services listening');

  return {
    address: handle.address,
    port: handle.port,
    seed,
    state,
    async stop(graceMs = 2000) {
      for (const name of ['', ...SERVICE_NAMES.map((n) => `downstream.v1.${n}`)]) handle.health.setStatus(name, 'NOT_SERVING');
      await handle.stop(graceMs);
    },
  };
}
