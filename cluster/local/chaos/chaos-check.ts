import type { Client } from 'cassandra-driver';
import { journalOf, type JournalRow } from '../../../actors/order/journal-of.js';
import { orderLogOrderIds } from '../../../src/storage/order-log-rows.js';
import { applyOrderEvent, emptyOrderState, nextAction, type OrderState } from '../../../actors/order/order-state.js';
import { isTerminal, type OrderStatus } from '../../../src/domain/order.js';
import type { DownstreamClients } from '../../../src/clients/downstream-clients.js';
import type { LedgerEntry } from '../downstream/ledger.js';
import { checkLedger, type FinalOrder, type Violation } from '../downstream/ledger-invariants.js';

/*
 * What a chaos run must leave behind, read from the truth (the journal in Cassandra and the
 * downstream ledgers), never from the nodes' own view. No vitest here: the benchmark uses it too.
 */


export async function readJournals(db: Client, keyspace: string, orderIds: Iterable<string>, concurrency = 16): Promise<Map<string, JournalRow[]>> {
  const ids = [...orderIds];
  const out = new Map<string, JournalRow[]>();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      out.set(id, await journalOf(db, keyspace, id));
    }
  }));
  return out;
}

/** Every order with a journal: also those whose PlaceOrder answer never reached a client. */
export async function journalOrderIds(db: Client, keyspace: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const table of ['journal', 'fenced_journal']) { // JOURNAL_MODE=lwt, =fenced
    let pageState: string | undefined;
    do {
      const rs = await db.execute(`SELECT DISTINCT order_id FROM ${keyspace}.${table}`, [], { prepare: true, fetchSize: 5_000, pageState });
      for (const r of rs.rows) ids.add(r.order_id as string);
      pageState = rs.pageState ?? undefined;
    } while (pageState);
  }
  for (const id of await orderLogOrderIds(db, keyspace)) ids.add(id); // JOURNAL_MODE=group
  return ids;
}

export const foldJournal = (rows: readonly JournalRow[]): OrderState => rows.reduce((s, r) => applyOrderEvent(s, r.event), emptyOrderState);

export const isTerminalJournal = (rows: readonly JournalRow[]): boolean => isTerminal(foldJournal(rows).status);

/** What the ledger checker needs of an order's journal: its final status and the total OrderPlaced priced. */
export interface JournalFinal extends FinalOrder { status: OrderStatus | 'NEW' }

export function finalOrderOf(rows: readonly JournalRow[]): JournalFinal {
  const state = foldJournal(rows);
  return { status: state.status, totalMinor: state.order?.totalMinor ?? 0 };
}

export const finalOrdersOf = (journals: ReadonlyMap<string, readonly JournalRow[]>): Map<string, JournalFinal> =>
  new Map([...journals].map(([orderId, rows]) => [orderId, finalOrderOf(rows)]));

/** The final orders of `orderIds`, read from their journals. */
export async function readFinalOrders(db: Client, keyspace: string, orderIds: Iterable<string>): Promise<Map<string, JournalFinal>> {
  return finalOrdersOf(await readJournals(db, keyspace, orderIds));
}

/** A CancelOrder a client made, as it saw it: when it was answered, and with what (or the error it gave up on). */
export interface CancelAsked { orderId: string; answeredAt?: number; status?: string; error?: string }

/**
 * What CancelOrder promises: it answers COMPENSATING or CANCELLED once the cancel took effect; a
 * cancel still queued behind its shard's earlier commands after the edge's wait is answered with
 * the live status the edge saw, and applies when the owner reaches it — an order that finished
 * first stays finished (the intake handles a shard's commands one at a time, so under a backlog a
 * zero-latency saga can outrun its cancel). So: every cancel is answered, and one answered as taken
 * effect ends CANCELLED unless the order was already undoing a failure then. The order's state at
 * the answer is its journal folded up to then (one clock: every process runs on this machine).
 * Undefined when the promise held.
 */
export function cancelProblem(cancel: CancelAsked, rows: readonly JournalRow[]): string | undefined {
  if (cancel.answeredAt === undefined) return `cancel never answered: ${cancel.error ?? 'no answer'}`;
  const final = foldJournal(rows).status;
  if (final === 'CANCELLED') return undefined;
  const tookEffect = cancel.status === 'COMPENSATING' || cancel.status === 'CANCELLED';
  const then = foldJournal(rows.filter((r) => r.at <= cancel.answeredAt!));
  if (!tookEffect || isTerminal(then.status) || then.compensation?.cause === 'failure') return undefined;
  const story = rows.map((r) => `${r.type}${'step' in r.event ? ` ${r.event.step}` : ''}@${r.writer}+${r.at - cancel.answeredAt!}ms`).join(', ');
  return `cancel answered ${cancel.status} while the order was ${then.status}, yet it ended ${final} (journal: ${story})`;
}

/**
 * Polls the journals of `orderIds` until every one is terminal or `timeoutMs` passed; returns the
 * last journals read (terminal ones are not read again).
 */
export async function waitUntilTerminal(db: Client, keyspace: string, orderIds: Iterable<string>, opts: { timeoutMs: number; pollMs?: number; onPoll?(open: number): void }): Promise<Map<string, JournalRow[]>> {
  const journals = new Map<string, JournalRow[]>();
  let open = [...orderIds];
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const read = await readJournals(db, keyspace, open);
    for (const [id, rows] of read) journals.set(id, rows);
    open = open.filter((id) => !isTerminalJournal(journals.get(id)!));
    opts.onPoll?.(open.length);
    if (open.length === 0 || Date.now() >= deadline) return journals;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1_000));
  }
}

/**
 * Why a journal is not one linear history run by one runner at a time: positions 1..n with no
 * gap, OrderPlaced first and once, and every later event exactly what `nextAction` of the state
 * before it called for (a cancel at any live moment). Two runners of one order racing would show
 * as a step done twice, out of turn, or after the end.
 */
export function journalProblems(rows: readonly JournalRow[]): string[] {
  const problems: string[] = [];
  rows.forEach((r, i) => { if (r.seq !== i + 1) problems.push(`position ${i + 1} holds seq ${r.seq}`); });
  // A cancel may overtake its order's place command (they come from different nodes' producers).
  const placedAt = rows[0]?.event.type === 'CancelRequested' ? 1 : 0;
  if (rows[placedAt]?.event.type !== 'OrderPlaced') problems.push(`starts with ${rows[0]?.event.type ?? 'nothing'}`);
  let state = emptyOrderState;
  for (const { seq, event } of rows) {
    const action = nextAction(state);
    const expected = (() => {
      switch (event.type) {
        case 'OrderPlaced': return state.status === 'NEW';
        case 'CancelRequested': return !isTerminal(state.status) && !state.compensation;
        case 'StepSucceeded':
        case 'StepFailed': return action.kind === 'run' && action.step === event.step;
        // A fallback is taken once, when the step's own call has spent its budget.
        case 'FallbackTaken': return action.kind === 'run' && action.step === event.step && action.channel === 'primary';
        case 'StepCompensated': return action.kind === 'compensate' && action.step === event.step;
        case 'OrderClosed': return action.kind === 'close' && action.outcome === event.outcome;
      }
    })();
    if (!expected) problems.push(`seq ${seq}: ${event.type}${'step' in event ? ` ${event.step}` : ''} out of turn (state ${state.status}, next ${action.kind}${'step' in action ? ` ${action.step}` : ''})`);
    state = applyOrderEvent(state, event);
  }
  return problems;
}

/** The downstream ledger, every page. */
export async function readWholeLedger(admin: DownstreamClients['admin']): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  for (let afterSeq = 0; ;) {
    const page = await admin.getLedger({ orderId: '', afterSeq, limit: 10_000 });
    entries.push(...page.entries);
    const last = page.entries.at(-1);
    if (!page.more || !last) return entries;
    afterSeq = last.seq;
  }
}

/**
 * A killed node's handover, seen in the journal: how many orders it had in flight (its event
 * last, not terminal) and the time from SIGKILL to the first event another node wrote for one
 * as that order's next event (an order its own replacement carried on first is no handover).
 */
export function failoverOf(kill: { node: string; killedAt: number }, journals: ReadonlyMap<string, readonly JournalRow[]>): { inFlight: number; ms?: number } {
  let inFlight = 0;
  let ms: number | undefined;
  for (const rows of journals.values()) {
    const before = rows.filter((r) => r.at <= kill.killedAt);
    const last = before.at(-1);
    if (!last || last.writer !== kill.node || isTerminal(foldJournal(before).status)) continue;
    inFlight += 1;
    const next = rows.find((r) => r.at > kill.killedAt);
    if (next && next.writer !== kill.node && (ms === undefined || next.at - kill.killedAt < ms)) ms = next.at - kill.killedAt;
  }
  return ms === undefined ? { inFlight } : { inFlight, ms };
}

export interface ChaosVerdict {
  statuses: Record<string, number>;
  /** Accepted orders (by the ids edges returned) with no journal at all. */
  lost: string[];
  /** Orders with a journal that no client was told about (the edge died before answering). */
  unannounced: string[];
  notTerminal: Array<{ orderId: string; status: string }>;
  nonLinear: Array<{ orderId: string; problems: string[] }>;
  ledgerViolations: Violation[];
  /** Ledger entries of orders that have no journal: side effects of an order that does not exist. */
  ledgerWithoutJournal: string[];
  /** Orders whose events were written by more than one node (fine while the history is linear). */
  multiWriterOrders: number;
  /** The orders the ledger was checked against, with their final status and priced total. */
  finals: Map<string, FinalOrder>;
  /** Cancels the clients asked for that did not end as CancelOrder promises (see cancelProblem). */
  cancelsBroken: Array<{ orderId: string; problem: string }>;
}

/** Judges a finished run: `journals` must hold every order that has a journal (see journalOrderIds). */
export function judgeChaos(input: {
  accepted: Iterable<string>;
  journals: ReadonlyMap<string, readonly JournalRow[]>;
  ledger: readonly LedgerEntry[];
  cancels?: readonly CancelAsked[];
}): ChaosVerdict {
  const accepted = new Set(input.accepted);
  const finals = new Map<string, FinalOrder>();
  const verdict: ChaosVerdict = {
    statuses: {}, lost: [], unannounced: [], notTerminal: [], nonLinear: [], ledgerViolations: [], ledgerWithoutJournal: [],
    multiWriterOrders: 0, finals, cancelsBroken: [],
  };
  for (const id of accepted) if (!input.journals.get(id)?.length) verdict.lost.push(id);
  for (const [orderId, rows] of input.journals) {
    if (rows.length === 0) continue;
    if (!accepted.has(orderId)) verdict.unannounced.push(orderId);
    const final = finalOrderOf(rows);
    const status = final.status;
    finals.set(orderId, final);
    verdict.statuses[status] = (verdict.statuses[status] ?? 0) + 1;
    if (!isTerminal(status)) verdict.notTerminal.push({ orderId, status });
    const problems = journalProblems(rows);
    if (problems.length) verdict.nonLinear.push({ orderId, problems });
    if (new Set(rows.map((r) => r.writer)).size > 1) verdict.multiWriterOrders += 1;
  }
  verdict.ledgerViolations = checkLedger(input.ledger, finals).violations;
  verdict.ledgerWithoutJournal = [...new Set(input.ledger.map((e) => e.orderId))].filter((id) => !finals.has(id));
  for (const cancel of input.cancels ?? []) {
    const problem = cancelProblem(cancel, input.journals.get(cancel.orderId) ?? []);
    if (problem) verdict.cancelsBroken.push({ orderId: cancel.orderId, problem });
  }
  return verdict;
}

export function percentiles(samples: readonly number[]): { n: number; p50?: number; p90?: number; max?: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return s.length ? { n: s.length, p50: at(0.5), p90: at(0.9), max: s.at(-1) } : { n: 0 };
}
