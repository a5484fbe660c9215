import { describe, expect, it } from 'vitest';
import type { StepName } from '../../src/domain/checkout-steps.js';
import type { OrderEvent } from '../../actors/order/order-events.js';
import { judgeChaos, type CancelAsked } from '../../cluster/local/chaos/chaos-check.js';
import type { JournalRow } from '../../actors/order/journal-of.js';
import { pricedOrder } from '../support/orders.js';

/*
 * The chaos checker's judgement on crafted journals: each rule the chaos test asserts must be
 * able to report a broken run, not only to pass a clean one.
 */

/** A journal as stored: one row per event, written by n1, `at` in ms on the run's clock. */
function journal(orderId: string, ...events: Array<(orderId: string) => OrderEvent>): JournalRow[] {
  return events.map((make, i) => {
    const event = make(orderId);
    return { seq: i + 1, writer: 'n1', at: event.at, type: event.type, event };
  });
}
const meta = (at: number) => ({ v: 1 as const, node: 'n1', at });
const placed = (at: number) => (orderId: string): OrderEvent => ({ type: 'OrderPlaced', order: pricedOrder({ orderId }), ...meta(at) });
const ok = (step: StepName, at: number) => (): OrderEvent => ({ type: 'StepSucceeded', step, resultId: `${step}-1`, attempts: 1, ...meta(at) });
const refused = (step: StepName, at: number) => (): OrderEvent => ({ type: 'StepFailed', step, reason: 'NO_COURIER', message: 'm', definitive: true, attempts: 1, ...meta(at) });
const cancelRequested = (at: number) => (): OrderEvent => ({ type: 'CancelRequested', reason: 'changed my mind', ...meta(at) });
const undone = (step: StepName, at: number) => (): OrderEvent => ({ type: 'StepCompensated', step, attempts: 1, ...meta(at) });
const closed = (outcome: 'FAILED' | 'CANCELLED', at: number) => (): OrderEvent => ({ type: 'OrderClosed', outcome, ...meta(at) });

const completed = (orderId: string) => journal(orderId, placed(100), ok('fraud', 110), ok('authorize', 120), ok('delivery', 130), ok('merchant', 140), ok('capture', 150));

const judge = (journals: Record<string, JournalRow[]>, opts: { accepted?: string[]; cancels?: CancelAsked[] } = {}) =>
  judgeChaos({ accepted: opts.accepted ?? Object.keys(journals), journals: new Map(Object.entries(journals)), ledger: [], cancels: opts.cancels ?? [] });

describe('the chaos checker', () => {
  it('reports a journal no client was given the id of (a key that made a second order) as unannounced', () => {
    const verdict = judge({ 'o-1': completed('o-1'), 'o-2': completed('o-2') }, { accepted: ['o-1'] });
    expect(verdict.unannounced).toEqual(['o-2']);
  });

  it('leaves an accepted order without a journal out of its final orders, so the chaos test sees it missing', () => {
    const verdict = judge({ 'o-1': completed('o-1') }, { accepted: ['o-1', 'o-2'] });
    expect([...verdict.finals.keys()]).toEqual(['o-1']);
    expect(verdict.lost).toEqual(['o-2']);
  });

  it('takes each final order\'s total from its OrderPlaced', () => {
    const rows = completed('o-1');
    const verdict = judge({ 'o-1': rows });
    const order = rows[0]!.event.type === 'OrderPlaced' ? rows[0]!.event.order : undefined;
    expect(verdict.finals.get('o-1')).toEqual({ status: 'COMPLETED', totalMinor: order!.totalMinor });
  });

  it('flags a cancel answered as taken effect on a live order that did not end CANCELLED', () => {
    const verdict = judge({ 'o-1': completed('o-1') }, { cancels: [{ orderId: 'o-1', answeredAt: 125, status: 'COMPENSATING' }] });
    expect(verdict.cancelsBroken).toEqual([{ orderId: 'o-1', problem: expect.stringMatching(/^cancel answered COMPENSATING while the order was PAYMENT_AUTHORIZED, yet it ended COMPLETED \(journal: OrderPlaced/) }]);
  });

  it('accepts a cancel answered with a live status (still queued) on an order that then finished first', () => {
    expect(judge({ 'o-1': completed('o-1') }, { cancels: [{ orderId: 'o-1', answeredAt: 125, status: 'PAYMENT_AUTHORIZED' }] }).cancelsBroken).toEqual([]);
  });

  it('accepts a cancel answered while the order was live that ended CANCELLED', () => {
    const rows = journal('o-1', placed(100), ok('fraud', 110), cancelRequested(115), closed('CANCELLED', 120));
    expect(judge({ 'o-1': rows }, { cancels: [{ orderId: 'o-1', answeredAt: 116, status: 'COMPENSATING' }] }).cancelsBroken).toEqual([]);
  });

  it('accepts a cancel answered after the order had completed', () => {
    expect(judge({ 'o-1': completed('o-1') }, { cancels: [{ orderId: 'o-1', answeredAt: 151, status: 'COMPLETED' }] }).cancelsBroken).toEqual([]);
  });

  it('accepts a cancel answered while the order was undoing a failure, which ends FAILED', () => {
    const rows = journal('o-1', placed(100), ok('fraud', 110), ok('authorize', 120), refused('delivery', 130), undone('authorize', 140), closed('FAILED', 150));
    expect(judge({ 'o-1': rows }, { cancels: [{ orderId: 'o-1', answeredAt: 135, status: 'COMPENSATING' }] }).cancelsBroken).toEqual([]);
  });

  it('flags a cancel that was never answered', () => {
    const verdict = judge({ 'o-1': completed('o-1') }, { cancels: [{ orderId: 'o-1', error: '14: no connection' }] });
    expect(verdict.cancelsBroken).toEqual([{ orderId: 'o-1', problem: 'cancel never answered: 14: no connection' }]);
  });

  it('takes a cancel that overtook its place command as one linear history', () => {
    const rows = journal('o-1', cancelRequested(95), placed(100), closed('CANCELLED', 105));
    expect(judge({ 'o-1': rows }).nonLinear).toEqual([]);
  });
});
