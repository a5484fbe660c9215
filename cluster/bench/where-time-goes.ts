/**
 * Where an order's time goes, from its journal: the time from the scheduled arrival to each
 * persisted event (the event's own `at` stamp), as p50s across the orders of a run. Shared by the
 * cluster benchmarks; reads the journal once the run is over.
 */
import type { Client } from 'cassandra-driver';
import { readJournals } from '../local/chaos/chaos-check.js';
import { percentile } from '../../src/load/stats.js';

export async function eventTimeline(db: Client, keyspace: string, placed: ReadonlyArray<{ orderId: string; scheduledAt: number; ackAt: number }>): Promise<Array<Record<string, string | number>>> {
  const journals = await readJournals(db, keyspace, placed.map((p) => p.orderId));
  const byStage = new Map<string, number[]>();
  const add = (stage: string, ms: number) => { const a = byStage.get(stage) ?? []; a.push(ms); byStage.set(stage, a); };
  for (const p of placed) {
    const rows = journals.get(p.orderId) ?? [];
    add('0 PlaceOrder answered', p.ackAt - p.scheduledAt);
    let prev = p.scheduledAt;
    rows.forEach((r, i) => {
      const label = `${i + 1} ${r.type}${'step' in r.event ? ` ${String((r.event as { step?: string }).step)}` : ''}`;
      add(label, r.at - p.scheduledAt);
      add(`  gap before ${label}`, r.at - prev);
      prev = r.at;
    });
  }
  return [...byStage].sort(([a], [b]) => a.replace(/^ +gap before /, '').localeCompare(b.replace(/^ +gap before /, '')) || (a.startsWith(' ') ? 1 : -1))
    .map(([stage, ms]) => ({ stage, n: ms.length, p50: Math.round(percentile(ms, 50)), p90: Math.round(percentile(ms, 90)) }));
}
