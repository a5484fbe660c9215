import type { LedgerEntry } from './ledger.js';

/*
 * Pure checks over downstream ledger entries: what each order holds, took and left open, and
 * which of the design's invariants that breaks. The chaos checker and the tests read the ledger
 * through GetLedger and hand it here.
 *
 * How entries refer to resources (see LedgerEntry in admin.proto):
 *   payments.Authorize   ref = authorization           payments.Void    ref = authorization
 *   payments.Capture     ref = capture, parent = auth  payments.Refund  ref = capture
 *   logistics.CreateDelivery / CancelDelivery          ref = delivery
 *   merchant.SendOrder / CancelTicket                  ref = ticket
 *   a tombstone: a compensation with tombstone = true, empty ref, compensates_key = fenced key.
 */

/** The fields the checks read; GetLedger's entries have them all, crafted ones may skip the optional. */
export type LedgerFact = Pick<LedgerEntry, 'operation' | 'idempotencyKey' | 'orderId' | 'amountMinor' | 'refId'> &
  Partial<Pick<LedgerEntry, 'parentRefId' | 'compensatesKey' | 'tombstone'>>;

export interface OrderLedgerFacts {
  orderId: string;
  authorizedMinor: number;
  capturedMinor: number;
  refundedMinor: number;
  /** captured − refunded: what the customer is out of pocket. */
  netChargedMinor: number;
  authorizationIds: string[];
  captureIds: string[];
  /** Authorizations neither voided nor captured: money still held on the card. */
  openAuthorizations: string[];
  /** Captures with no refund. */
  unrefundedCaptures: string[];
  deliveryIds: string[];
  openDeliveries: string[];
  ticketIds: string[];
  openTickets: string[];
  /** Keys fenced by a compensation that came before the original call. */
  tombstonedKeys: string[];
}

export type ViolationRule =
  | 'DUPLICATE_APPLICATION'
  | 'DOUBLE_CAPTURE'
  | 'OVER_CAPTURE'
  | 'DOUBLE_REFUND'
  | 'OVER_REFUND'
  | 'APPLIED_AFTER_TOMBSTONE'
  | 'COMPLETED_NOT_CAPTURED_ONCE'
  | 'COMPLETED_NOT_AUTHORIZED_ONCE'
  | 'COMPLETED_AMOUNT_MISMATCH'
  | 'COMPLETED_BUT_REFUNDED'
  | 'COMPLETED_NOT_ONE_DELIVERY'
  | 'COMPLETED_NOT_ONE_TICKET'
  | 'NOT_NET_ZERO'
  | 'OPEN_AUTHORIZATION'
  | 'OPEN_DELIVERY'
  | 'OPEN_TICKET';

export interface Violation {
  orderId: string;
  rule: ViolationRule;
  detail: string;
}

export interface LedgerCheck {
  orders: Map<string, OrderLedgerFacts>;
  violations: Violation[];
}

/**
 * What the checkout's journal says of an order at the end: its final status (the terminal ones
 * unlock the per-status rules) and the total it priced in OrderPlaced (what a COMPLETED order
 * must have been authorized and charged).
 */
export interface FinalOrder {
  status: string;
  totalMinor: number;
}

/** Final orders by order id. */
export type FinalOrders = ReadonlyMap<string, FinalOrder> | Readonly<Record<string, FinalOrder>>;

export function orderFacts(entries: readonly LedgerFact[]): Map<string, OrderLedgerFacts> {
  const orders = new Map<string, OrderLedgerFacts>();
  const factsOf = (orderId: string): OrderLedgerFacts => {
    let facts = orders.get(orderId);
    if (!facts) orders.set(orderId, (facts = emptyFacts(orderId)));
    return facts;
  };
  const authorizations: LedgerFact[] = [];
  const undone = { voided: new Set<string>(), captured: new Set<string>(), refunded: new Set<string>(), deliveries: new Set<string>(), tickets: new Set<string>() };
  for (const e of entries) {
    const f = factsOf(e.orderId);
    if (e.tombstone) {
      f.tombstonedKeys.push(e.compensatesKey ?? '');
      continue;
    }
    switch (e.operation) {
      case 'payments.Authorize':
        f.authorizedMinor += e.amountMinor;
        f.authorizationIds.push(e.refId);
        authorizations.push(e);
        break;
      case 'payments.Capture':
        f.capturedMinor += e.amountMinor;
        f.captureIds.push(e.refId);
        if (e.parentRefId) undone.captured.add(e.parentRefId);
        break;
      case 'payments.Void':
        undone.voided.add(e.refId);
        break;
      case 'payments.Refund':
        f.refundedMinor += e.amountMinor;
        undone.refunded.add(e.refId);
        break;
      case 'logistics.CreateDelivery':
        f.deliveryIds.push(e.refId);
        break;
      case 'logistics.CancelDelivery':
        undone.deliveries.add(e.refId);
        break;
      case 'merchant.SendOrder':
        f.ticketIds.push(e.refId);
        break;
      case 'merchant.CancelTicket':
        undone.tickets.add(e.refId);
        break;
    }
  }
  for (const a of authorizations) {
    if (!undone.voided.has(a.refId) && !undone.captured.has(a.refId)) factsOf(a.orderId).openAuthorizations.push(a.refId);
  }
  for (const f of orders.values()) {
    f.netChargedMinor = f.capturedMinor - f.refundedMinor;
    f.unrefundedCaptures = f.captureIds.filter((id) => !undone.refunded.has(id));
    f.openDeliveries = f.deliveryIds.filter((id) => !undone.deliveries.has(id));
    f.openTickets = f.ticketIds.filter((id) => !undone.tickets.has(id));
  }
  return orders;
}

/**
 * Every invariant the ledger alone can prove, plus — for orders given their final state — the
 * money and open-resource rules of that status: COMPLETED holds exactly one authorization, one
 * capture, one delivery and one ticket (the last two open), and authorized = captured = the priced
 * total; FAILED and CANCELLED net zero with nothing left open.
 */
export function checkLedger(entries: readonly LedgerFact[], finalOrders?: FinalOrders): LedgerCheck {
  const orders = orderFacts(entries);
  const violations: Violation[] = [...ledgerOnlyViolations(entries)];
  const finals = finalOrders instanceof Map ? finalOrders : new Map(Object.entries(finalOrders ?? {}));
  for (const [orderId, { status, totalMinor }] of finals) {
    const f = orders.get(orderId) ?? emptyFacts(orderId);
    const flag = (rule: ViolationRule, detail: string): void => void violations.push({ orderId, rule, detail });
    if (status === 'COMPLETED') {
      if (f.authorizationIds.length !== 1) flag('COMPLETED_NOT_AUTHORIZED_ONCE', `${f.authorizationIds.length} authorizations`);
      if (f.captureIds.length !== 1) flag('COMPLETED_NOT_CAPTURED_ONCE', `${f.captureIds.length} captures`);
      if (f.authorizedMinor !== totalMinor || f.capturedMinor !== totalMinor) {
        flag('COMPLETED_AMOUNT_MISMATCH', `${f.authorizedMinor} authorized, ${f.capturedMinor} captured, ${totalMinor} priced`);
      }
      if (f.refundedMinor > 0) flag('COMPLETED_BUT_REFUNDED', `${f.refundedMinor} refunded`);
      if (f.deliveryIds.length !== 1 || f.openDeliveries.length !== 1) {
        flag('COMPLETED_NOT_ONE_DELIVERY', `${f.deliveryIds.length} deliveries, ${f.openDeliveries.length} open`);
      }
      if (f.ticketIds.length !== 1 || f.openTickets.length !== 1) {
        flag('COMPLETED_NOT_ONE_TICKET', `${f.ticketIds.length} merchant tickets, ${f.openTickets.length} open`);
      }
    } else if (status === 'FAILED' || status === 'CANCELLED') {
      if (f.netChargedMinor !== 0) flag('NOT_NET_ZERO', `${f.netChargedMinor} charged net`);
      if (f.openDeliveries.length > 0) flag('OPEN_DELIVERY', f.openDeliveries.join(', '));
      if (f.openTickets.length > 0) flag('OPEN_TICKET', f.openTickets.join(', '));
    } else {
      continue;
    }
    if (f.openAuthorizations.length > 0) flag('OPEN_AUTHORIZATION', f.openAuthorizations.join(', '));
  }
  return { orders, violations };
}

function ledgerOnlyViolations(entries: readonly LedgerFact[]): Violation[] {
  const violations: Violation[] = [];
  const byKey = new Map<string, LedgerFact[]>();
  const capturesByAuth = new Map<string, LedgerFact[]>();
  const refundsByCapture = new Map<string, LedgerFact[]>();
  // A fence names the original's key; the original's operation follows from the compensation's.
  const fenced = new Map<string, LedgerFact>();
  const amounts = new Map<string, number>();
  for (const e of entries) {
    push(byKey, `${e.operation}\u0000${e.idempotencyKey}`, e);
    const original = ORIGINAL_OF[e.operation];
    if (e.tombstone && e.compensatesKey && original) fenced.set(`${original}\u0000${e.compensatesKey}`, e);
    if (e.operation === 'payments.Authorize' || e.operation === 'payments.Capture') amounts.set(e.refId, e.amountMinor);
    if (e.operation === 'payments.Capture') push(capturesByAuth, e.parentRefId || e.refId, e);
    if (e.operation === 'payments.Refund' && !e.tombstone) push(refundsByCapture, e.refId, e);
  }
  for (const group of byKey.values()) {
    const [first] = group;
    if (first && group.length > 1) {
      violations.push({ orderId: first.orderId, rule: 'DUPLICATE_APPLICATION', detail: `${first.operation} applied ${group.length} times for key ${first.idempotencyKey}` });
    }
  }
  for (const e of entries) {
    const fence = fenced.get(`${e.operation}\u0000${e.idempotencyKey}`);
    if (fence && !e.tombstone) {
      violations.push({ orderId: e.orderId, rule: 'APPLIED_AFTER_TOMBSTONE', detail: `${e.operation} applied with key ${e.idempotencyKey}, fenced by ${fence.operation}` });
    }
  }
  const captureCounts = new Map<string, number>();
  for (const [authId, captures] of capturesByAuth) {
    const [first] = captures;
    if (!first) continue;
    captureCounts.set(first.orderId, (captureCounts.get(first.orderId) ?? 0) + captures.length);
    const taken = sum(captures);
    const held = amounts.get(authId);
    if (held !== undefined && taken > held) violations.push({ orderId: first.orderId, rule: 'OVER_CAPTURE', detail: `${taken} captured of ${held} authorized (${authId})` });
  }
  for (const [orderId, count] of captureCounts) {
    if (count > 1) violations.push({ orderId, rule: 'DOUBLE_CAPTURE', detail: `${count} captures` });
  }
  for (const [captureId, refunds] of refundsByCapture) {
    const [first] = refunds;
    if (!first) continue;
    if (refunds.length > 1) violations.push({ orderId: first.orderId, rule: 'DOUBLE_REFUND', detail: `${refunds.length} refunds of ${captureId}` });
    const taken = amounts.get(captureId);
    if (taken !== undefined && sum(refunds) > taken) violations.push({ orderId: first.orderId, rule: 'OVER_REFUND', detail: `${sum(refunds)} refunded of ${taken} captured (${captureId})` });
  }
  return violations;
}

const ORIGINAL_OF: Readonly<Record<string, string>> = {
  'payments.Void': 'payments.Authorize',
  'payments.Refund': 'payments.Capture',
  'logistics.CancelDelivery': 'logistics.CreateDelivery',
  'merchant.CancelTicket': 'merchant.SendOrder',
};

function emptyFacts(orderId: string): OrderLedgerFacts {
  return {
    orderId,
    authorizedMinor: 0,
    capturedMinor: 0,
    refundedMinor: 0,
    netChargedMinor: 0,
    authorizationIds: [],
    captureIds: [],
    openAuthorizations: [],
    unrefundedCaptures: [],
    deliveryIds: [],
    openDeliveries: [],
    ticketIds: [],
    openTickets: [],
    tombstonedKeys: [],
  };
}

const sum = (entries: readonly LedgerFact[]): number => entries.reduce((n, e) => n + e.amountMinor, 0);

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
