import * as grpc from '@grpc/grpc-js';
import type { Order__Output } from '../../../src/generated/checkout/v1/Order.js';
import { loadCheckoutProto } from '../../../src/grpc/protos.js';
import type { JournalRow } from '../../../actors/order/journal-of.js';
import { foldJournal } from '../chaos/chaos-check.js';
import { isTerminal } from '../../../src/domain/order.js';
import type { PlacedOrder } from '../chaos/chaos-load.js';

/*
 * What the partition scenarios check beyond the chaos checks, read from the nodes' logs (shard
 * ownership), the journal (writer ids) and the nodes' answers (a healed node's view).
 */

/** A node's JSON log line as seen, with its node and time (test/support/chaos-logs.ts records them). */
export interface NodeLine { node: string; at: number; line: Record<string, unknown> & { msg?: string } }

const ownership = (l: NodeLine) => (l.line.msg === 'shard ownership changed'
  ? { owned: (l.line.owned as number[] | undefined) ?? [], gained: (l.line.gained as number[] | undefined) ?? [] }
  : undefined);

/** The shards a node owns right now, from its /metrics on the admin listener (`checkout_shard_owned`). */
export async function ownedShardsNow(node: { adminAddress?: string }): Promise<number[]> {
  const text = await (await fetch(`http://${node.adminAddress}/metrics`, { signal: AbortSignal.timeout(15_000) })).text();
  return [...text.matchAll(/^checkout_shard_owned\{[^}]*shard="(\d+)"[^}]*\} 1$/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

/**
 * Accepted orders that were not terminal, by the journal, at `at`, though an edge had accepted
 * them at least `graceMs` before: orders some node held without moving them.
 */
export function strandedAt(journals: ReadonlyMap<string, readonly JournalRow[]>, acceptedAt: ReadonlyMap<string, number>, at: number, graceMs: number): string[] {
  return [...acceptedAt].filter(([id, t]) => t <= at - graceMs && !isTerminal(foldJournal((journals.get(id) ?? []).filter((r) => r.at <= at)).status)).map(([id]) => id);
}

/** The shards `nodeId` owned at `at`, by its last ownership line before then. */
export function shardsOwnedAt(lines: readonly NodeLine[], nodeId: string, at: number): number[] {
  return lines.filter((l) => l.node === nodeId && l.at <= at).map(ownership).filter((o) => o !== undefined).at(-1)?.owned ?? [];
}

/**
 * When every one of `shards` was held by another node after `since` (undefined if some never
 * was), and by whom: gained after `since`, or already held then (the cut node's own view of its
 * shards may lag a rebalance it had not heard of yet). Given `healedAt`, the cut node itself
 * regaining a shard after its heal counts too (a cut shorter than the session timeout may end
 * before the group moved anything).
 */
export function shardsMovedAt(lines: readonly NodeLine[], fromNode: string, shards: readonly number[], since: number, healedAt?: number): { at?: number; takenBy: Record<number, string> } {
  const takenBy: Record<number, string> = {};
  let at = since;
  const others = [...new Set(lines.map((l) => l.node))].filter((n) => n !== fromNode);
  for (const shard of shards) {
    // A rebalance the cut node had not heard of yet may already have given the shard to another node.
    const holder = others.find((n) => shardsOwnedAt(lines, n, since).includes(shard));
    if (holder) {
      takenBy[shard] = holder;
      continue;
    }
    // Once its link healed, the cut node taking a shard back is as good a home as any other node.
    const took = lines.find((l) => l.at > since && (l.node !== fromNode || (healedAt !== undefined && l.at >= healedAt)) && (ownership(l)?.gained.includes(shard) ?? false));
    if (!took) return { takenBy };
    takenBy[shard] = took.node;
    at = Math.max(at, took.at);
  }
  return { at, takenBy };
}

/**
 * The storage fence as the journal shows it: rows `nodeId` wrote to an order, while partitioned
 * (since, until], after another node had written to it in that window (each is a write the
 * fence should have refused). After the heal the node may own the shard again, legitimately.
 */
export function writesPastTheFence(journals: ReadonlyMap<string, readonly JournalRow[]>, nodeId: string, since: number, until = Infinity): Array<{ orderId: string; seq: number }> {
  const past: Array<{ orderId: string; seq: number }> = [];
  for (const [orderId, rows] of journals) {
    const first = rows.findIndex((r) => r.at > since && r.at <= until && r.writer !== nodeId);
    if (first < 0) continue;
    for (const r of rows.slice(first)) if (r.writer === nodeId && r.at <= until) past.push({ orderId, seq: r.seq });
  }
  return past;
}

/**
 * One owner per shard at any time, from the writer ids: rows `nodeId` wrote in a shard in
 * (since, until] after another node had already written in that shard in that window.
 */
export function shardWritesPastTheFence(
  journals: ReadonlyMap<string, readonly JournalRow[]>, nodeId: string, since: number, until: number, shardOf: (orderId: string) => number,
): Array<{ shard: number; orderId: string; seq: number }> {
  const rows = [...journals].flatMap(([orderId, rs]) => rs.filter((r) => r.at > since && r.at <= until).map((r) => ({ orderId, shard: shardOf(orderId), ...r })));
  const firstByOther = new Map<number, number>();
  for (const r of rows) if (r.writer !== nodeId) firstByOther.set(r.shard, Math.min(firstByOther.get(r.shard) ?? Infinity, r.at));
  return rows.filter((r) => r.writer === nodeId && r.at > (firstByOther.get(r.shard) ?? Infinity)).map((r) => ({ shard: r.shard, orderId: r.orderId, seq: r.seq }));
}

/** Rows `nodeId` wrote after `since`, per order (what it still did while partitioned). */
export function writesAfter(journals: ReadonlyMap<string, readonly JournalRow[]>, nodeId: string, since: number, until = Infinity): number {
  let n = 0;
  for (const rows of journals.values()) for (const r of rows) if (r.writer === nodeId && r.at > since && r.at <= until) n += 1;
  return n;
}

/**
 * Orders whose status a node answers (GetOrder, as the order's consumer) differently from the
 * journal, polled until it agrees or `timeoutMs` passed. An empty list: the node agrees.
 */
export async function disagreements(
  node: { grpcAddress?: string },
  placed: readonly PlacedOrder[],
  journals: ReadonlyMap<string, readonly JournalRow[]>,
  token: (consumerId: string) => Promise<string>,
  timeoutMs = 20_000,
): Promise<Array<{ orderId: string; journal: string; node: string }>> {
  const proto = loadCheckoutProto();
  const client = new proto.grpc.checkout.v1.CheckoutService(node.grpcAddress!, grpc.credentials.createInsecure());
  const ask = async (p: PlacedOrder): Promise<string> => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${await token(p.consumerId)}`);
    return new Promise((resolve) => {
      client.getOrder({ orderId: p.orderId }, md, { deadline: Date.now() + 3_000 }, (err: grpc.ServiceError | null, res?: Order__Output) => resolve(err ? `error ${err.code}` : String(res?.status)));
    });
  };
  try {
    let open = placed.filter((p) => p.orderId);
    let wrong: Array<{ orderId: string; journal: string; node: string }> = [];
    for (const deadline = Date.now() + timeoutMs; ;) {
      wrong = [];
      for (const p of open) {
        const journal = foldJournal(journals.get(p.orderId!) ?? []).status;
        const answer = await ask(p);
        if (answer !== journal) wrong.push({ orderId: p.orderId!, journal, node: answer });
      }
      if (wrong.length === 0 || Date.now() > deadline) return wrong;
      open = open.filter((p) => wrong.some((w) => w.orderId === p.orderId));
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    client.close();
  }
}
