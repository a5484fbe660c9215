import { afterEach, describe, expect, it } from 'vitest';
import type { CheckoutSteps } from '../../src/domain/checkout-steps.js';
import type { ActiveOrderIndex } from '../../src/storage/active-orders.js';
import { DEFAULT_FALLBACK_SETTINGS } from '../../src/resilience/fallback-settings.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createOrderRegistry, type OrderRegistry } from '../../actors/order-registry.js';
import type { OrderEvent } from '../../actors/order/order-events.js';
import { startActorSystem } from '../../actors/typed-nact.js';
import { journalProblems } from '../../cluster/local/chaos/chaos-check.js';
import { memoryJournal, type MemoryJournal } from '../support/memory-journal.js';
import { gate, type Gate } from '../support/gate.js';
import { waitFor } from '../support/poll.js';
import { pricedOrder } from '../support/orders.js';

/*
 * Actor logic over an in-memory journal (the Cassandra journal's own guarantees are tested
 * elsewhere). The long partition run's one broken journal held authorize's success at seq 3 and
 * again at seq 4. This is a way to that shape: a node places an order whose first append times
 * out (yet lands) while the node is cut from storage; the shard leaves, comes back, and the
 * order's next actor there is fenced on its first append by another node's late write. The node
 * took that fence for its first actor's wrong "this order is new" guess, revived the order at
 * once and handed the fenced actor's step report to the new actor, which counted it as its own.
 */
function steps(authorize: Gate): CheckoutSteps {
  const done = async () => undefined;
  return {
    assessFraud: async () => 'fraud-1',
    authorizePayment: async () => { await authorize.pass(); return 'auth-1'; },
    createDelivery: async () => 'delivery-1',
    sendToMerchant: async () => 'ticket-1',
    phoneOrderToMerchant: async () => 'ticket-1',
    capturePayment: async () => 'capture-1',
    voidAuthorization: done, cancelDelivery: done, cancelTicket: done, refundCapture: done,
  };
}

function node(journal: MemoryJournal, authorize: Gate): OrderRegistry {
  const listed = new Set<string>();
  const index: ActiveOrderIndex = {
    add: async (_shard, id) => { listed.add(id); },
    remove: async (_shard, id) => { listed.delete(id); },
    list: async () => [...listed],
  };
  return createOrderRegistry({
    system: startActorSystem(`stale-guess-${Date.now()}`, journal),
    index,
    shardOf: () => 0,
    queryTimeoutMs: 1_000,
    lingerMs: 60_000,
    logger: silentLogger(),
    assumeEmpty: (id) => journal.assumeEmpty(id),
    reviveFenced: { afterMs: 100 },
    hooks: {},
    actor: {
      engine: journal,
      nodeId: 'node-a',
      clock: Date.now,
      snapshotEvery: 50,
      fallbacks: DEFAULT_FALLBACK_SETTINGS,
      recoveryPolicy: { maxAttempts: Number.POSITIVE_INFINITY, backoff: { initialMs: 20, maxMs: 50, jitter: 0 } },
      logger: silentLogger(),
      runner: { steps: steps(authorize), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    },
  });
}

const succeeded = (step: 'fraud' | 'authorize'): OrderEvent => ({ type: 'StepSucceeded', v: 1, step, resultId: `${step}-1`, attempts: 1, at: Date.now(), node: 'node-b' });

describe('the guess that an order placed on a node is new', () => {
  let registry: OrderRegistry | undefined;
  afterEach(() => registry?.stopAll());

  it('ends with the actor it was made for: a later actor of the order fenced on its first append never gets another actor\'s step report', async () => {
    const journal = memoryJournal('node-a');
    const authorize = gate();
    registry = node(journal, authorize);
    const order = pricedOrder();
    const id = order.orderId;

    // Placed on a node cut from storage: the OrderPlaced append lands but times out, reads fail.
    journal.landThenFail(id);
    journal.readsFail = true;
    void registry.place(order).catch(() => undefined);
    await waitFor('the OrderPlaced append landed', () => journal.rows(id).length === 1, { timeoutMs: 2_000, everyMs: 10 });
    await new Promise((r) => setTimeout(r, 50)); // the actor retries its recovery, in vain
    registry.releaseShard(0); // the node gave its shards up
    await waitFor('the order\'s actor stopped', () => !registry!.activeOrderIds().includes(id), { timeoutMs: 2_000, everyMs: 10 });

    // Another node carried the order on; the shard then came back here, storage reachable again.
    journal.readsFail = false;
    journal.appendAs('node-b', id, succeeded('fraud'));
    await registry.recoverShard(0);
    await authorize.atGate;
    journal.appendAs('node-b', id, succeeded('authorize')); // the other node's late write takes seq 3
    authorize.open(); // this node's append of seq 3 is refused: its actor is fenced

    await waitFor('the capture journaled', () => journal.rows(id).some((r) => (r.data as OrderEvent).type === 'StepSucceeded' && (r.data as { step: string }).step === 'capture'), { timeoutMs: 5_000, everyMs: 10 });
    const rows = journal.rows(id).map((r) => ({ seq: r.seq, writer: r.writer, at: 0, type: (r.data as OrderEvent).type, event: r.data as OrderEvent }));
    expect(journalProblems(rows)).toEqual([]);
  });
});
