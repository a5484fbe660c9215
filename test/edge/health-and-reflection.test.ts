import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutNode } from '../../cluster/checkout-node.js';
import { startTestCluster, type TestCluster } from '../support/checkout-cluster.js';

type Reflection = grpc.Client & { serverReflectionInfo(): grpc.ClientDuplexStream<object, { listServicesResponse?: { service: Array<{ name: string }> } }> };

/** What grpcurl does first: ask the server which services it has. */
function listServices(address: string): Promise<string[]> {
  const root = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json')), 'build', 'proto');
  const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [root], keepCase: false });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { grpc: { reflection: { v1: { ServerReflection: new (a: string, c: grpc.ChannelCredentials) => Reflection } } } };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const call = client.serverReflectionInfo();
    call.on('data', (res: { listServicesResponse?: { service: Array<{ name: string }> } }) => { resolve(res.listServicesResponse?.service.map((s) => s.name) ?? []); call.end(); client.close(); });
    call.on('error', reject);
    call.write({ listServices: '*' });
  });
}

describe('operations surfaces of a node', () => {
  let cluster: TestCluster;
  let node: CheckoutNode;
  beforeAll(async () => {
    cluster = await startTestCluster();
    node = await cluster.startNode('ops-1');
  });
  afterAll(async () => { await cluster?.stop(); });

  it('lists CheckoutService through server reflection, as grpcurl would', async () => {
    expect(await listServices(node.grpcAddress)).toContain('checkout.v1.CheckoutService');
  });

  it('serves Prometheus metrics and a health endpoint over HTTP', async () => {
    const metrics = await (await fetch(`http://${node.adminAddress}/metrics`)).text();
    expect(metrics).toMatch(/^# HELP checkout_order_events_total/m);
    expect(metrics).toMatch(/process_cpu_user_seconds_total\{node="ops-1"\}/);
    const health = await fetch(`http://${node.httpAddress}/healthz`);
    expect(health.status).toBe(200);
  });
});
