import { request } from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutNode } from '../../cluster/checkout-node.js';
import type { Order__Output } from '../../src/generated/checkout/v1/Order.js';
import { checkoutClient } from '../../src/clients/checkout-client.js';
import { startTestCluster, unary, type TestCluster } from '../support/checkout-cluster.js';
import { makeTestCertificate, type TestCertificate } from '../support/test-certificate.js';
import { openClient } from '../support/ws-test-client.js';

/** GET over HTTPS trusting `ca`; the status code. */
function httpsStatus(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { ca, timeout: 5_000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
  });
}

describe('a node started with TLS_CERT_FILE and TLS_KEY_FILE', () => {
  let cert: TestCertificate;
  let cluster: TestCluster;
  let node: CheckoutNode;
  beforeAll(async () => {
    cert = makeTestCertificate();
    cluster = await startTestCluster({ env: { TLS_CERT_FILE: cert.certFile, TLS_KEY_FILE: cert.keyFile } });
    node = await cluster.startNode('tls-1');
  });
  afterAll(async () => {
    await cluster?.stop();
    cert?.remove();
  });

  it('serves gRPC over TLS to a client that trusts its certificate', async () => {
    const client = checkoutClient(node.grpcAddress, await cluster.token('c-tls'), grpc.credentials.createSsl(cert.cert));
    try {
      // NOT_FOUND: the call got through TLS and the token check to the handler itself.
      const err = await unary<object, Order__Output>(client.getOrder.bind(client), { orderId: 'o-none' }).catch((e: grpc.ServiceError) => e);
      expect((err as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });

  it('does not serve a plaintext gRPC client', async () => {
    const client = checkoutClient(node.grpcAddress, await cluster.token('c-tls'));
    try {
      const err = await unary<object, Order__Output>(client.getOrder.bind(client), { orderId: 'o-none' }, 3_000).catch((e: grpc.ServiceError) => e);
      expect((err as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      client.close();
    }
  });

  it('serves the websocket as wss with the same certificate', async () => {
    const ws = await openClient(`wss://${node.httpAddress}/ws`, { authorization: `Bearer ${await cluster.token('c-tls')}` }, { ca: cert.cert });
    try {
      ws.send({ type: 'ping' });
      expect(await ws.next()).toEqual({ type: 'pong' });
    } finally {
      ws.ws.terminate();
    }
  });

  it('serves /healthz over HTTPS', async () => {
    expect(await httpsStatus(`https://${node.httpAddress}/healthz`, cert.cert)).toBe(200);
  });
});
