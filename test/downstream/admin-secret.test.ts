import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDownstreamConfig } from '../../cluster/local/downstream/downstream-config.js';
import { createDownstreamClients, type DownstreamClients } from '../../src/clients/downstream-clients.js';
import { failure, startHarness, type Harness } from '../support/downstream.js';

/*
 * The simulators' admin API (faults, latency, ledgers) shares the services' port: a caller
 * that can reach payments must not be able to read its ledger or inject faults without the
 * shared secret.
 */
describe('the downstream admin API', () => {
  let h: Harness;
  let anonymous: DownstreamClients;
  let wrong: DownstreamClients;
  beforeAll(async () => {
    h = await startHarness();
    anonymous = createDownstreamClients(h.server.address);
    wrong = createDownstreamClients(h.server.address, { adminSecret: 'not-the-secret-0123456789' });
  });
  afterAll(async () => {
    anonymous?.close();
    wrong?.close();
    await h?.stop();
  });

  it('refuses to set faults without the secret (UNAUTHENTICATED), and no fault takes effect', async () => {
    const err = await failure(anonymous.admin.setFaults({ rules: [{ target: 'catalog.*', kind: 'UNAVAILABLE' }] }));
    expect([err.code, err.reason]).toEqual([grpc.status.UNAUTHENTICATED, 'ADMIN_SECRET_REQUIRED']);
    expect(await h.clients.catalog.getMerchant({ merchantId: 'm-1' })).toMatchObject({ found: true });
  });

  it('refuses a wrong secret', async () => {
    expect((await failure(wrong.admin.setLatency({ rules: [] }))).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('refuses to read the ledger or reset without the secret', async () => {
    expect((await failure(anonymous.admin.getLedger({}))).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await failure(anonymous.admin.reset({}))).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('answers a caller holding the secret', async () => {
    expect(await h.clients.admin.setFaults({ rules: [] })).toEqual({ rules: 0 });
  });

  it('asks nothing of the business services\' callers', async () => {
    expect(await anonymous.catalog.getMerchant({ merchantId: 'm-1' })).toMatchObject({ found: true });
  });

  it('cannot be started as a process without DOWNSTREAM_ADMIN_SECRET', () => {
    expect(() => loadDownstreamConfig([], {})).toThrow(/DOWNSTREAM_ADMIN_SECRET is required/);
    expect(() => loadDownstreamConfig([], { DOWNSTREAM_ADMIN_SECRET: 'short' })).toThrow(/at least 16/);
  });
});
