import { expect, it } from 'vitest';
import type { ScenarioResult } from '../../cluster/local/partition/partition-scenario.js';

/**
 * The checks every partition scenario ends with, one test each, read from the journals and the
 * ledgers (the chaos checks): call inside the scenario's describe.
 */
export function itKeepsTheInvariants(result: () => ScenarioResult): void {
  it('answered every PlaceOrder with an order id (clients retry on other nodes with the same key)', () => {
    expect(result().placed.filter((p) => p.outcome !== 'accepted').map((p) => ({ key: p.key, outcome: p.outcome, attempts: p.attempts.slice(-3) }))).toEqual([]);
  });
  it('lost no accepted order: each has a journal', () => {
    expect(result().verdict.lost).toEqual([]);
  });
  it('brought every order to a terminal state', () => {
    expect(result().verdict.notTerminal).toEqual([]);
  });
  it('made no key into two orders', () => {
    expect(result().keysWithTwoOrders).toEqual([]);
  });
  it('kept every journal one linear history with one writer per position', () => {
    expect(result().verdict.nonLinear).toEqual([]);
  });
  it('left the ledgers exact: one capture and one delivery per completed order, failed ones net zero', () => {
    expect(result().verdict.ledgerViolations).toEqual([]);
    expect(result().verdict.ledgerWithoutJournal).toEqual([]);
  });
}
