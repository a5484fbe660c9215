import type { AssessResponse } from '../../../src/generated/downstream/v1/AssessResponse.js';
import { createFaultInjector, type FaultInjector, type FaultSpec } from './faults.js';
import { createKeyStore, type KeyStore } from './key-store.js';
import { createLatencyTable, type LatencySpec, type LatencyTable } from './latency.js';
import { createLedger, type Ledger } from './ledger.js';
import { createDeliveryDesk, type DeliveryDesk } from './logistics-service.js';
import { createTicketDesk, type TicketDesk } from './merchant-service.js';
import { createPaymentsBook, type PaymentsBook } from './payments-book.js';
import { seededRandom } from './random.js';
import { createWorld, DEFAULT_FAULT_RULES, type World } from './world.js';

export interface DownstreamStateOptions {
  /** Seeds the random streams behind rate faults and latency jitter. */
  seed: number;
  latency?: readonly LatencySpec[];
  /** Rules in force from the start, on top of the built-in ones; Reset brings them back. */
  faults?: readonly FaultSpec[];
  now?: () => number;
}

/** Everything the simulators remember, in one place so Reset forgets all of it at once. */
export interface DownstreamState {
  world: World;
  ledger: Ledger;
  faults: FaultInjector;
  latency: LatencyTable;
  fraudKeys: KeyStore<AssessResponse>;
  payments: PaymentsBook;
  deliveries: DeliveryDesk;
  tickets: TicketDesk;
  /** Back to how the server started; optionally without the built-in fault rules. */
  reset(opts?: { clearDefaultFaults?: boolean }): void;
}

export function createDownstreamState(opts: DownstreamStateOptions): DownstreamState {
  const now = opts.now ?? Date.now;
  const world = createWorld({ now });
  const startFaults = opts.faults ?? [];
  const faults = createFaultInjector({ defaults: DEFAULT_FAULT_RULES, seed: opts.seed });
  faults.setRules(startFaults);
  // Latency gets its own stream, so adding a latency rule does not change which calls fail.
  const latency = createLatencyTable({ initial: opts.latency ?? [], random: seededRandom(opts.seed ^ 0x5bd1e995) });
  const state: DownstreamState = {
    world,
    ledger: createLedger({ now }),
    faults,
    latency,
    fraudKeys: createKeyStore<AssessResponse>(),
    payments: createPaymentsBook({ world }),
    deliveries: createDeliveryDesk(),
    tickets: createTicketDesk(),
    reset(resetOpts) {
      state.ledger.clear();
      state.fraudKeys.clear();
      state.payments.clear();
      state.deliveries.clear();
      state.tickets.clear();
      faults.reset({ clearDefaults: resetOpts?.clearDefaultFaults === true });
      faults.setRules(startFaults);
      latency.reset();
    },
  };
  return state;
}
