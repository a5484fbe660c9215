import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterNode } from '../../cluster/local/local-cluster.js';
import { shardOf } from '../../src/domain/shard-of.js';
import { checkLedger } from '../../cluster/local/downstream/ledger-invariants.js';
import { readFinalOrders } from '../../cluster/local/chaos/chaos-check.js';
import type { CheckoutServiceClient } from '../../src/generated/checkout/v1/CheckoutService.js';
import type { Order__Output } from '../../src/generated/checkout/v1/Order.js';
import type { PlaceOrderResponse__Output } from '../../src/generated/checkout/v1/PlaceOrderResponse.js';
import { unary } from '../support/checkout-cluster.js';
import { journalOf } from '../../actors/order/journal-of.js';
import { placeRequest } from '../support/place-requests.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';

const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];
const SANDBOX_NODE = 'sandbox-1';
const MAIN_NODES = ['node-1', 'node-2'];

/**
 * Two main nodes and a sandbox node as real processes, routing by a rules file they all read.
 * The tests run in order and build on each other: the sandbox node starts in the first one, the
 * rules file changes in the third and fourth (c-sbx-1 in the sandbox, then c-sbx-1 and c-sbx-2,
 * then c-sbx-2 alone).
 */

/** Both channels to the restaurant fail transiently: its orders wait at the merchant step. */
const holdAtMerchant = (merchantId: string) => ['merchant.SendOrder', 'merchant.PhoneOrder']
  .map((target) => ({ target, kind: 'UNAVAILABLE' as const, matchMerchantId: merchantId }));

describe('sandbox routing across real nodes', () => {
  let pc: ProcessCluster;
  let dir: string;
  let rulesPath: string;
  const clients = new Map<string, CheckoutServiceClient>();

  const client = async (node: ClusterNode, consumerId: string) => {
    const key = `${node.grpcAddress}/${consumerId}`; // a restarted node has a new address
    if (!clients.has(key)) clients.set(key, await pc.client(node, consumerId));
    return clients.get(key)!;
  };
  const node = (id: string) => {
    const found = pc.cluster.nodes.find((n) => n.id === id);
    if (!found) throw new Error(`no node ${id}`);
    return found;
  };
  const place = async (via: ClusterNode, consumerId: string, merchant = 'm-1') => {
    const c = await client(via, consumerId);
    const lines = [{ itemId: `${merchant}-item-1`, quantity: 1, note: '' }];
    const placed = await unary<object, PlaceOrderResponse__Output>(c.placeOrder.bind(c), placeRequest(consumerId, { merchantId: merchant, lines }));
    return { orderId: placed.orderId, consumerId };
  };
  const statusOf = async (orderId: string, consumerId: string) => {
    const c = await client(node('node-1'), consumerId);
    return (await unary<object, Order__Output>(c.getOrder.bind(c), { orderId })).status;
  };
  const waitForStatus = async (order: { orderId: string; consumerId: string }, wanted: (status: string) => boolean, timeoutMs = 60_000) => {
    const end = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < end) {
      last = await statusOf(order.orderId, order.consumerId).catch((err: Error) => `error: ${err.message}`);
      if (wanted(last)) return last;
      await sleep(200);
    }
    throw new Error(`order ${order.orderId} still ${last} after ${timeoutMs} ms`);
  };
  const writersOf = async (orderId: string) => {
    const rows = await journalOf(pc.db, pc.keyspace, orderId);
    return { writers: new Set(rows.map((r) => r.writer)), types: rows.map((r) => r.type) };
  };
  /** Every order ran to COMPLETED, each event written by `sandbox-1` only, or by main nodes only. */
  const expectRunBy = async (orders: Array<{ orderId: string; consumerId: string }>, pool: 'sandbox' | 'main') => {
    for (const order of orders) {
      const { writers, types } = await writersOf(order.orderId);
      expect(types.at(-1), order.orderId).toBe('StepSucceeded');
      expect(types[0], order.orderId).toBe('OrderPlaced');
      if (pool === 'sandbox') expect([...writers], `${order.consumerId}'s ${order.orderId}`).toEqual([SANDBOX_NODE]);
      else expect(MAIN_NODES, `${order.consumerId}'s ${order.orderId} written by ${[...writers].join(', ')}`).toEqual(expect.arrayContaining([...writers]));
    }
  };
  const rulesVersion = async (n: ClusterNode): Promise<number> => {
    const text = await (await fetch(`http://${n.adminAddress}/metrics`)).text();
    return Number(/^checkout_sandbox_rules_version(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1] ?? NaN);
  };
  const waitForRulesVersion = async (version: number) => {
    const end = Date.now() + 20_000;
    for (;;) {
      const versions = await Promise.all(pc.cluster.nodes.map(rulesVersion));
      if (versions.every((v) => v === version)) return;
      if (Date.now() > end) throw new Error(`rules versions ${versions.join(', ')}, wanted ${version} on every node`);
      await sleep(100);
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-routing-'));
    rulesPath = join(dir, 'rules.json');
    await writeFile(rulesPath, JSON.stringify({ rules: [{ name: 'beta testers', consumerIds: ['c-sbx-1'] }] }));
    pc = await startProcessCluster({
      nodes: 2,
      env: {
        SANDBOX_RULES_FILE: rulesPath,
        // An order held by a failing step (tests 4, 5) keeps retrying until it is cancelled.
        STEP_MAX_ATTEMPTS: '100000',
        // Room for a loaded machine: only the held orders' merchant step may fail in these tests.
        DOWNSTREAM_DEADLINE_MS: '10000',
      },
      downstreamLatency: [{ target: '*', fixedMs: 5 }],
    });
  }, 180_000);
  afterAll(async () => {
    await pc?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('orders routed to the sandbox wait for a sandbox node, untouched by main nodes, and run on the first one that starts', { timeout: 120_000 }, async () => {
    const [a, b] = [node('node-1'), node('node-2')];
    const sandboxOrders = [await place(a, 'c-sbx-1'), await place(b, 'c-sbx-1')];
    const mainOrder = await place(a, 'c-main-1');
    await waitForStatus(mainOrder, (s) => s === 'COMPLETED');
    await sleep(1_000);
    for (const order of sandboxOrders) {
      expect(await statusOf(order.orderId, order.consumerId)).toBe('PLACED');
      expect((await writersOf(order.orderId)).types).toEqual([]); // no main node ran it
    }

    await pc.cluster.addNode(SANDBOX_NODE, 'sandbox');
    for (const order of sandboxOrders) await waitForStatus(order, (s) => s === 'COMPLETED');
    await expectRunBy(sandboxOrders, 'sandbox');
    await expectRunBy([mainOrder], 'main');
  });

  it('a sandbox consumer\'s orders run only on the sandbox node, other consumers\' never — whichever node takes the call', { timeout: 120_000 }, async () => {
    const sandboxOrders: Array<{ orderId: string; consumerId: string }> = [];
    const mainOrders: Array<{ orderId: string; consumerId: string }> = [];
    for (const n of pc.cluster.nodes) {
      for (let i = 0; i < 2; i++) {
        sandboxOrders.push(await place(n, 'c-sbx-1'));
        mainOrders.push(await place(n, 'c-main-1'), await place(n, 'c-sbx-2'));
      }
    }
    for (const order of [...sandboxOrders, ...mainOrders]) await waitForStatus(order, (s) => s === 'COMPLETED');
    await expectRunBy(sandboxOrders, 'sandbox');
    await expectRunBy(mainOrders, 'main');
  });

  it('a consumer added to the rules file has its new orders run in the sandbox, without any restart', { timeout: 120_000 }, async () => {
    const pids = pc.cluster.nodes.map((n) => n.process?.pid);
    await waitForRulesVersion(1);
    // Rewritten in place, as `echo … > rules.json` does.
    await writeFile(rulesPath, JSON.stringify({ rules: [{ name: 'beta testers', consumerIds: ['c-sbx-1', 'c-sbx-2'] }] }));
    await waitForRulesVersion(2);
    const sandboxOrders = [];
    const mainOrders = [];
    for (const n of pc.cluster.nodes) {
      sandboxOrders.push(await place(n, 'c-sbx-2'), await place(n, 'c-sbx-1'));
      mainOrders.push(await place(n, 'c-main-1'));
    }
    for (const order of [...sandboxOrders, ...mainOrders]) await waitForStatus(order, (s) => s === 'COMPLETED');
    await expectRunBy(sandboxOrders, 'sandbox');
    await expectRunBy(mainOrders, 'main');
    expect(pc.cluster.nodes.map((n) => n.process?.pid)).toEqual(pids);
  });

  it('a cancel of a sandbox order placed before a rules change still reaches the sandbox pool', { timeout: 120_000 }, async () => {
    // Held at its merchant step (both channels keep failing transiently) so it is still running when cancelled.
    await pc.downstream.admin.setFaults({ rules: holdAtMerchant('m-2') });
    try {
      const held = await place(node('node-1'), 'c-sbx-1', 'm-2');
      await waitForStatus(held, (s) => s === 'DELIVERY_CREATED');

      // c-sbx-1 leaves the sandbox (editor-style: a new file renamed over the old one).
      const tmp = `${rulesPath}.new`;
      await writeFile(tmp, JSON.stringify({ rules: [{ name: 'beta testers', consumerIds: ['c-sbx-2'] }] }));
      await rename(tmp, rulesPath);
      await waitForRulesVersion(3);
      const afterChange = await place(node('node-2'), 'c-sbx-1');
      await waitForStatus(afterChange, (s) => s === 'COMPLETED');
      await expectRunBy([afterChange], 'main'); // the rules now send c-sbx-1's new orders to main…

      // …but the order placed before runs on in the sandbox, and its cancel (via a main node) goes there.
      const viaMain = await client(node('node-2'), 'c-sbx-1');
      await unary(viaMain.cancelOrder.bind(viaMain), { orderId: held.orderId, reason: 'changed my mind' });
      expect(await waitForStatus(held, (s) => TERMINAL.includes(s))).toBe('CANCELLED');
      const { writers, types } = await writersOf(held.orderId);
      expect([...writers]).toEqual([SANDBOX_NODE]);
      expect(types).toEqual(expect.arrayContaining(['OrderPlaced', 'CancelRequested', 'StepCompensated', 'OrderClosed']));
      const ledger = (await pc.downstream.admin.getLedger({ orderId: held.orderId, limit: 1000 })).entries;
      expect(checkLedger(ledger, await readFinalOrders(pc.db, pc.keyspace, [held.orderId])).violations).toEqual([]);
      expect(ledger.map((e) => e.operation)).toEqual(expect.arrayContaining(['logistics.CancelDelivery', 'payments.Void']));
    } finally {
      await pc.downstream.admin.setFaults({ rules: [] });
    }
  });
  it('a node taking shards wakes only its own pool\'s unfinished orders, though both pools number shards from 0', { timeout: 180_000 }, async () => {
    /** Failed merchant-step attempts on a node: it is running an order held at that (failing) step. */
    const failedAttempts = async (n: ClusterNode) => {
      const text = await (await fetch(`http://${n.adminAddress}/metrics`)).text();
      const series = /^checkout_step_attempt_failures_total\{(?=[^}]*step="merchant")(?=[^}]*kind="run")[^}]*\} (\d+)$/gm;
      return [...text.matchAll(series)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const gracefulRestart = async (n: ClusterNode) => { await pc.cluster.stopNode(n); await pc.cluster.restart(n); };
    const cancelAll = async (orders: Array<{ orderId: string; consumerId: string }>, pool: 'sandbox' | 'main') => {
      for (const order of orders) {
        const c = await client(node('node-1'), order.consumerId);
        await unary(c.cancelOrder.bind(c), { orderId: order.orderId, reason: 'test over' });
      }
      for (const order of orders) {
        expect(await waitForStatus(order, (s) => TERMINAL.includes(s))).toBe('CANCELLED');
        const { writers } = await writersOf(order.orderId);
        if (pool === 'sandbox') expect([...writers]).toEqual([SANDBOX_NODE]);
        else expect(MAIN_NODES).toEqual(expect.arrayContaining([...writers]));
      }
    };
    await pc.downstream.admin.setFaults({ rules: holdAtMerchant('m-2') });
    try {
      // Main orders held in flight, one of them on a main shard the sandbox also has (0, 1 or 2 of its 3).
      const heldMain: Array<{ orderId: string; consumerId: string }> = [];
      while (!heldMain.some((o) => shardOf(o.orderId, 12) < 3)) {
        if (heldMain.length >= 30) throw new Error('no order id on a low shard in 30 tries');
        heldMain.push(await place(node('node-1'), 'c-main-1', 'm-2'));
      }
      for (const order of heldMain) await waitForStatus(order, (s) => s === 'DELIVERY_CREATED');
      // The sandbox node takes all its shards afresh: it must wake none of main's held orders.
      await gracefulRestart(node(SANDBOX_NODE));
      await waitForStatus(await place(node('node-2'), 'c-sbx-2'), (s) => s === 'COMPLETED');
      await sleep(1_500);
      expect(await failedAttempts(node(SANDBOX_NODE))).toBe(0);
      await cancelAll(heldMain, 'main');

      // A sandbox order held in flight; the main nodes restart and share all 12 shards afresh.
      const heldSandbox = await place(node('node-2'), 'c-sbx-2', 'm-2');
      await waitForStatus(heldSandbox, (s) => s === 'DELIVERY_CREATED');
      await pc.cluster.stopNode(node('node-1'));
      await pc.cluster.stopNode(node('node-2'));
      await Promise.all([pc.cluster.restart(node('node-1')), pc.cluster.restart(node('node-2'))]);
      for (const n of MAIN_NODES) await waitForStatus(await place(node(n), 'c-main-1'), (s) => s === 'COMPLETED');
      await sleep(1_500);
      expect(await failedAttempts(node('node-1')) + await failedAttempts(node('node-2'))).toBe(0);
      expect(await failedAttempts(node(SANDBOX_NODE))).toBeGreaterThan(0); // the held order does run, in its own pool
      await cancelAll([heldSandbox], 'sandbox');
    } finally {
      await pc.downstream.admin.setFaults({ rules: [] });
    }
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
