import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderRuntime, type OrderRuntime } from '../../actors/order-runtime.js';
import { grpcCheckoutSteps } from '../../src/clients/grpc-checkout-steps.js';
import { isTerminal } from '../../src/domain/order.js';
import { startHarness, type Harness } from '../support/downstream.js';
import { schemaKeyspace } from '../support/journal.js';
import { pricedOrder } from '../support/orders.js';

type Line = Record<string, unknown> & { msg: string };

describe('order logs on a real runtime', () => {
  const lines: Line[] = [];
  let ks: Awaited<ReturnType<typeof schemaKeyspace>>;
  let downstream: Harness;
  let runtime: OrderRuntime;
  let orderId: string;

  beforeAll(async () => {
    ks = await schemaKeyspace('logs');
    downstream = await startHarness();
    // One failed fraud call, so a retry is logged too.
    await downstream.clients.admin.setFaults({ rules: [{ target: 'fraud.Assess', kind: 'UNAVAILABLE', firstCalls: 1 }] });
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Line); done(); } });
    const logger = pino({ level: 'debug', base: { nodeId: 'node-logs' } }, sink);
    runtime = createOrderRuntime({
      nodeId: 'node-logs', client: ks.client, keyspace: ks.keyspace, shards: 3, logger,
      steps: grpcCheckoutSteps(downstream.clients, 2_000), retryOverride: { maxAttempts: 4, initialMs: 10, maxMs: 40 }, snapshotEvery: 50,
    });
    const order = pricedOrder();
    orderId = order.orderId;
    await runtime.registry.place(order);
    const until = Date.now() + 20_000;
    while (!isTerminal((await runtime.registry.get(orderId)).state.status) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    runtime?.stop();
    await downstream?.stop();
    await ks?.drop();
  });

  it('every step log names the node, the order and the step', () => {
    const stepLines = lines.filter((l) => l.msg === 'starting step' || l.msg === 'step attempt failed');
    expect(stepLines.map((l) => l.step)).toEqual(expect.arrayContaining(['fraud', 'authorize', 'delivery', 'merchant', 'capture']));
    expect(stepLines.find((l) => l.msg === 'step attempt failed')).toMatchObject({ step: 'fraud', orderId, nodeId: 'node-logs' });
    for (const l of stepLines) expect(l).toMatchObject({ nodeId: 'node-logs', orderId, step: expect.any(String) });
  });
});
