import { describe, expect, it } from 'vitest';
import { checkLedger, orderFacts, type FinalOrder, type LedgerFact } from '../../cluster/local/downstream/ledger-invariants.js';
import { authorizeRequest, createDeliveryRequest, sendOrderRequest, startHarness } from '../support/downstream.js';

// A crafted ledger: each helper appends one entry as the server would have written it.
function ledger() {
  const entries: LedgerFact[] = [];
  const add = (operation: string, orderId: string, key: string, refId: string, amountMinor = 0, extra: Partial<LedgerFact> = {}) =>
    entries.push({ operation, orderId, idempotencyKey: key, refId, amountMinor, ...extra });
  return {
    entries,
    authorize: (o: string, auth: string, minor: number) => add('payments.Authorize', o, `${o}:authorize`, auth, minor),
    capture: (o: string, key: string, cap: string, auth: string, minor: number) => add('payments.Capture', o, key, cap, minor, { parentRefId: auth }),
    void: (o: string, auth: string, minor: number) => add('payments.Void', o, `${o}:void`, auth, minor, { compensatesKey: `${o}:authorize` }),
    refund: (o: string, cap: string, minor: number) => add('payments.Refund', o, `${o}:refund`, cap, minor),
    delivery: (o: string, dlv: string) => add('logistics.CreateDelivery', o, `${o}:delivery`, dlv),
    cancelDelivery: (o: string, dlv: string) => add('logistics.CancelDelivery', o, `${o}:delivery:cancel`, dlv),
    ticket: (o: string, tkt: string) => add('merchant.SendOrder', o, `${o}:merchant`, tkt),
    cancelTicket: (o: string, tkt: string) => add('merchant.CancelTicket', o, `${o}:merchant:cancel`, tkt),
    add,
  };
}

const rules = (entries: LedgerFact[], finals?: Record<string, FinalOrder>) => checkLedger(entries, finals).violations.map((v) => `${v.orderId} ${v.rule}`);
/** The order's end as its journal says it: status, and the total OrderPlaced priced. */
const final = (status: string, totalMinor = 1000): FinalOrder => ({ status, totalMinor });

/** Authorized, delivery booked, ticket sent, captured: every step of a completed order, once. */
function completedOrder(l: ReturnType<typeof ledger>, o: string, minor = 1000) {
  l.authorize(o, `auth-${o}`, minor);
  l.delivery(o, `dlv-${o}`);
  l.ticket(o, `tkt-${o}`);
  l.capture(o, `${o}:capture`, `cap-${o}`, `auth-${o}`, minor);
}

describe('ledger invariants', () => {
  it('a cleanly completed order breaks no rule', () => {
    const l = ledger();
    l.authorize('o-1', 'auth-1', 1000);
    l.delivery('o-1', 'dlv-1');
    l.ticket('o-1', 'tkt-1');
    l.capture('o-1', 'o-1:capture', 'cap-1', 'auth-1', 1000);
    expect(rules(l.entries, { 'o-1': final('COMPLETED') })).toEqual([]);
  });

  it('a failed order whose steps were all undone nets zero and breaks no rule', () => {
    const l = ledger();
    l.authorize('o-1', 'auth-1', 1000);
    l.delivery('o-1', 'dlv-1');
    l.ticket('o-1', 'tkt-1');
    l.capture('o-1', 'o-1:capture', 'cap-1', 'auth-1', 1000);
    l.refund('o-1', 'cap-1', 1000);
    l.cancelTicket('o-1', 'tkt-1');
    l.cancelDelivery('o-1', 'dlv-1');
    expect(rules(l.entries, { 'o-1': final('FAILED') })).toEqual([]);
    expect(orderFacts(l.entries).get('o-1')).toMatchObject({ netChargedMinor: 0, openDeliveries: [], openTickets: [], openAuthorizations: [] });
  });

  it('two captures of one order are flagged as a double capture', () => {
    const l = ledger();
    l.authorize('o-1', 'auth-1', 1000);
    l.capture('o-1', 'o-1:capture', 'cap-1', 'auth-1', 500);
    l.capture('o-1', 'o-1:capture-retry', 'cap-2', 'auth-1', 500);
    expect(rules(l.entries)).toEqual(['o-1 DOUBLE_CAPTURE']);
  });

  it('a capture above the authorized amount is flagged', () => {
    const l = ledger();
    l.authorize('o-1', 'auth-1', 1000);
    l.capture('o-1', 'o-1:capture', 'cap-1', 'auth-1', 1200);
    expect(rules(l.entries)).toEqual(['o-1 OVER_CAPTURE']);
  });

  it('a delivery left open for a failed order is flagged', () => {
    const l = ledger();
    l.authorize('o-1', 'auth-1', 1000);
    l.delivery('o-1', 'dlv-1');
    l.void('o-1', 'auth-1', 1000);
    expect(rules(l.entries, { 'o-1': final('FAILED') })).toEqual(['o-1 OPEN_DELIVERY']);
  });

  it('a hold left on the card of a cancelled order is flagged', () => {
    const l = ledger();
    l.authorize('o-1', 'auth-1', 1000);
    expect(rules(l.entries, { 'o-1': final('CANCELLED') })).toEqual(['o-1 OPEN_AUTHORIZATION']);
  });

  it('a failed order still charged is flagged as not netting zero', () => {
    const l = ledger();
    l.authorize('o-1', 'auth-1', 1000);
    l.capture('o-1', 'o-1:capture', 'cap-1', 'auth-1', 1000);
    expect(rules(l.entries, { 'o-1': final('FAILED') })).toEqual(['o-1 NOT_NET_ZERO']);
  });

  it('a completed order with no delivery is flagged (no charge without a delivery)', () => {
    const l = ledger();
    l.authorize('o-1', 'auth-1', 1000);
    l.ticket('o-1', 'tkt-1');
    l.capture('o-1', 'o-1:capture', 'cap-1', 'auth-1', 1000);
    expect(rules(l.entries, { 'o-1': final('COMPLETED') })).toEqual(['o-1 COMPLETED_NOT_ONE_DELIVERY']);
  });

  it('a completed order never captured is flagged', () => {
    const l = ledger();
    l.authorize('o-1', 'auth-1', 1000);
    l.delivery('o-1', 'dlv-1');
    l.ticket('o-1', 'tkt-1');
    expect(rules(l.entries, { 'o-1': final('COMPLETED') })).toEqual(['o-1 COMPLETED_NOT_CAPTURED_ONCE', 'o-1 COMPLETED_AMOUNT_MISMATCH', 'o-1 OPEN_AUTHORIZATION']);
  });

  it('a completed order with two deliveries booked is flagged (exactly one courier)', () => {
    const l = ledger();
    completedOrder(l, 'o-1');
    l.add('logistics.CreateDelivery', 'o-1', 'o-1:delivery-again', 'dlv-2');
    expect(rules(l.entries, { 'o-1': final('COMPLETED') })).toEqual(['o-1 COMPLETED_NOT_ONE_DELIVERY']);
  });

  it('a completed order whose only delivery was cancelled is flagged', () => {
    const l = ledger();
    completedOrder(l, 'o-1');
    l.cancelDelivery('o-1', 'dlv-o-1');
    expect(rules(l.entries, { 'o-1': final('COMPLETED') })).toEqual(['o-1 COMPLETED_NOT_ONE_DELIVERY']);
  });

  it('a completed order with two merchant tickets is flagged (exactly one ticket)', () => {
    const l = ledger();
    completedOrder(l, 'o-1');
    l.add('merchant.SendOrder', 'o-1', 'o-1:merchant-again', 'tkt-2');
    expect(rules(l.entries, { 'o-1': final('COMPLETED') })).toEqual(['o-1 COMPLETED_NOT_ONE_TICKET']);
  });

  it('a completed order whose only ticket was cancelled is flagged', () => {
    const l = ledger();
    completedOrder(l, 'o-1');
    l.cancelTicket('o-1', 'tkt-o-1');
    expect(rules(l.entries, { 'o-1': final('COMPLETED') })).toEqual(['o-1 COMPLETED_NOT_ONE_TICKET']);
  });

  it('a completed order captured for less than it authorized is flagged', () => {
    const l = ledger();
    l.authorize('o-1', 'auth-1', 1000);
    l.delivery('o-1', 'dlv-1');
    l.ticket('o-1', 'tkt-1');
    l.capture('o-1', 'o-1:capture', 'cap-1', 'auth-1', 900);
    expect(rules(l.entries, { 'o-1': final('COMPLETED', 1000) })).toEqual(['o-1 COMPLETED_AMOUNT_MISMATCH']);
  });

  it('a completed order authorized and captured alike, but not for its priced total, is flagged', () => {
    const l = ledger();
    completedOrder(l, 'o-1', 800);
    expect(rules(l.entries, { 'o-1': final('COMPLETED', 1000) })).toEqual(['o-1 COMPLETED_AMOUNT_MISMATCH']);
    expect(checkLedger(l.entries, { 'o-1': final('COMPLETED', 1000) }).violations[0]!.detail).toBe('800 authorized, 800 captured, 1000 priced');
  });

  it('a completed order authorized twice is flagged, though one authorization was voided', () => {
    const l = ledger();
    completedOrder(l, 'o-1');
    l.add('payments.Authorize', 'o-1', 'o-1:authorize-again', 'auth-2', 1000);
    l.add('payments.Void', 'o-1', 'o-1:authorize-again:void', 'auth-2', 1000);
    expect(rules(l.entries, { 'o-1': final('COMPLETED') })).toEqual(['o-1 COMPLETED_NOT_AUTHORIZED_ONCE', 'o-1 COMPLETED_AMOUNT_MISMATCH']);
  });

  it('one key applied twice is flagged as a duplicate application', () => {
    const l = ledger();
    l.delivery('o-1', 'dlv-1');
    l.delivery('o-1', 'dlv-2');
    expect(rules(l.entries)).toEqual(['o-1 DUPLICATE_APPLICATION']);
  });

  it('an original applied under a key its compensation fenced is flagged', () => {
    const l = ledger();
    l.add('logistics.CancelDelivery', 'o-1', 'o-1:delivery:cancel', '', 0, { tombstone: true, compensatesKey: 'o-1:delivery' });
    l.delivery('o-1', 'dlv-1');
    expect(rules(l.entries)).toContain('o-1 APPLIED_AFTER_TOMBSTONE');
  });

  it('the real server ledger of an order compensated after a declined capture passes the checker', async () => {
    const h = await startHarness();
    try {
      const c = h.clients;
      await c.fraud.assess({ idempotencyKey: 'o-9:fraud', orderId: 'o-9', consumerId: 'c-1', amount: { currency: 'USD', minor: 2500 } });
      const { authorizationId } = await c.payments.authorize(authorizeRequest('o-9'));
      await c.logistics.createDelivery(createDeliveryRequest('o-9'));
      await c.merchant.sendOrder(sendOrderRequest('o-9', { merchantId: 'm-rejects' })).catch(() => undefined);
      await c.merchant.cancelTicket({ idempotencyKey: 'o-9:merchant:cancel', orderId: 'o-9', sendIdempotencyKey: 'o-9:merchant' });
      await c.logistics.cancelDelivery({ idempotencyKey: 'o-9:delivery:cancel', orderId: 'o-9', createIdempotencyKey: 'o-9:delivery' });
      await c.payments.void({ idempotencyKey: 'o-9:authorize:void', orderId: 'o-9', authorizationId });

      const check = checkLedger(await h.ledger('o-9'), { 'o-9': final('FAILED', 2500) });
      expect(check.violations).toEqual([]);
      expect(check.orders.get('o-9')).toMatchObject({ authorizedMinor: 2500, netChargedMinor: 0, deliveryIds: [expect.any(String)], openDeliveries: [] });
    } finally {
      await h.stop();
    }
  });
});
