import { expect } from 'vitest';
import type { AuthorizeRequest } from '../../src/generated/downstream/v1/AuthorizeRequest.js';
import type { CreateDeliveryRequest } from '../../src/generated/downstream/v1/CreateDeliveryRequest.js';
import type { SendOrderRequest } from '../../src/generated/downstream/v1/SendOrderRequest.js';
import { DownstreamCallError } from '../../src/clients/downstream-call-error.js';
import { createDownstreamClients, type DownstreamClients } from '../../src/clients/downstream-clients.js';
import { startDownstreamServer, type DownstreamServer, type DownstreamServerOptions } from '../../cluster/local/downstream/downstream-server.js';
import type { LedgerEntry } from '../../cluster/local/downstream/ledger.js';
import { newAdminSecret } from '../../cluster/local/downstream/admin-service.js';
import { pointAt } from '../../cluster/local/downstream/geo.js';
import { createWorld } from '../../cluster/local/downstream/world.js';
import { silentLogger } from '../../src/observability/logger.js';
import { pollUntil } from './poll.js';

export interface Harness {
  server: DownstreamServer;
  /** Carries the admin secret: its admin calls are accepted. */
  clients: DownstreamClients;
  /** The admin API's shared secret, for nodes that inject faults through it. */
  adminSecret: string;
  /** Every ledger entry of one order (or all), read through GetLedger. */
  ledger(orderId?: string): Promise<LedgerEntry[]>;
  stop(): Promise<void>;
}

/**
 * Waits until the downstream services have answered every call they received (a late call has
 * then landed, applied or refused); returns the calls counted per operation at that moment.
 */
export async function untilNoCallInFlight(admin: DownstreamClients['admin'], timeoutMs = 15_000): Promise<Record<string, number>> {
  const settled = await pollUntil('every downstream call answered', () => admin.getLedger({ orderId: '', limit: 1 }), (l) => Object.keys(l.inFlight).length === 0, { timeoutMs });
  return Object.fromEntries(Object.entries(settled.calls).map(([operation, n]) => [operation, Number(n)]));
}

/** An in-process downstream server on a free port and a client bundle for it. */
export async function startHarness(opts: Partial<DownstreamServerOptions> = {}): Promise<Harness> {
  const adminSecret = opts.adminSecret ?? newAdminSecret();
  const server = await startDownstreamServer({ logger: silentLogger(), seed: 42, ...opts, adminSecret });
  const clients = createDownstreamClients(server.address, { deadlineMs: 5000, adminSecret });
  return {
    server,
    clients,
    adminSecret,
    async ledger(orderId = '') {
      const page = await clients.admin.getLedger({ orderId, limit: 10_000 });
      return page.entries;
    },
    async stop() {
      clients.close();
      await server.stop(500);
    },
  };
}

/** Awaits a call that must fail and returns its error, typed. */
export async function failure(call: Promise<unknown>): Promise<DownstreamCallError> {
  const err: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call was expected to fail').toBeInstanceOf(DownstreamCallError);
  return err as DownstreamCallError;
}

const world = createWorld({ now: Date.now });
const merchantLocation = (merchantId: string) => world.merchant(merchantId)?.location ?? { lat: 0, lng: 0 };

export const authorizeRequest = (orderId: string, over: Partial<AuthorizeRequest> = {}): AuthorizeRequest => ({
  idempotencyKey: `${orderId}:authorize`,
  orderId,
  consumerId: 'c-1',
  paymentMethodId: 'pm-1111',
  amount: { currency: 'USD', minor: 2500 },
  ...over,
});

export const createDeliveryRequest = (orderId: string, over: Partial<CreateDeliveryRequest> = {}): CreateDeliveryRequest => ({
  idempotencyKey: `${orderId}:delivery`,
  orderId,
  merchantId: 'm-1',
  dropoff: pointAt(merchantLocation(over.merchantId ?? 'm-1'), 2, 45),
  postalCode: '10001',
  ...over,
});

export const sendOrderRequest = (orderId: string, over: Partial<SendOrderRequest> = {}): SendOrderRequest => ({
  idempotencyKey: `${orderId}:merchant`,
  orderId,
  merchantId: 'm-1',
  lines: [{ itemId: 'm-1-item-1', name: 'Dish 1', quantity: 2 }],
  ...over,
});
