import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckoutNode } from '../../cluster/checkout-node.js';
import type { ClusterSummary } from '../../src/dashboard/cluster-summary.js';
import { startTestCluster, type TestCluster } from '../support/checkout-cluster.js';
import { getJson } from './dashboard-http.js';

/*
 * Order data and cluster addresses are for operations only: the dashboard, its API and /metrics
 * live on an admin listener of their own (loopback by default), and every /api/ call needs an
 * operator or admin token. The public listener keeps the websocket and /healthz.
 */
describe('the admin HTTP listener of a node', () => {
  let cluster: TestCluster;
  let node: CheckoutNode;
  let api: (path: string) => string;
  beforeAll(async () => {
    cluster = await startTestCluster();
    node = await cluster.startNode('admin-http-1');
    api = (path) => `http://${node.adminAddress}${path}`;
  });
  afterAll(async () => { await cluster?.stop(); });

  it('is a listener of its own, on loopback by default', () => {
    expect(node.adminAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(node.adminAddress).not.toBe(node.httpAddress);
  });

  it('answers 401 to an order timeline read without a token, for an existing id shape and a missing order alike', async () => {
    expect(await getJson(api('/api/orders/o-does-not-exist'))).toMatchObject({ status: 401, body: { error: 'TOKEN_MISSING' } });
  });

  it('answers 401 to the cluster summary without a token, so node addresses are not shown', async () => {
    const answer = await getJson(api('/api/dashboard'));
    expect(answer.status).toBe(401);
    expect(JSON.stringify(answer.body)).not.toContain(node.grpcAddress);
  });

  it('answers 403 to a consumer token on every read', async () => {
    const consumer = await cluster.token('c-1');
    for (const path of ['/api/dashboard', '/api/orders/o-does-not-exist', '/api/fault-choices']) {
      expect(await getJson(api(path), consumer), path).toMatchObject({ status: 403, body: { error: 'OPERATOR_REQUIRED' } });
    }
  });

  it('lets a read-only operator token read the summary and look an order up', async () => {
    const operator = await cluster.operatorToken('ops-reader');
    const summary = await getJson(api('/api/dashboard'), operator);
    expect(summary.status).toBe(200);
    expect((summary.body as ClusterSummary).servedBy).toBe('admin-http-1');
    expect((await getJson(api('/api/orders/o-does-not-exist'), operator)).status).toBe(404);
  });

  it('serves /metrics; the public listener does not serve /metrics, the page or /api', async () => {
    expect((await fetch(api('/metrics'))).status).toBe(200);
    for (const path of ['/metrics', '/', '/api/dashboard', '/api/orders/o-1']) {
      expect((await fetch(`http://${node.httpAddress}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`http://${node.httpAddress}/healthz`)).status).toBe(200);
  });
});
