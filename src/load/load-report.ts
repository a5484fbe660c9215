import { summarize, table, type Summary } from './stats.js';
import type { LoadReport } from './checkout-load.js';
import { LOAD_OUTCOMES, type LoadOutcome } from './load-outcomes.js';
import type { FaultMixEntry } from './fault-mix.js';
import { formatFaultMix } from './fault-mix.js';

/** What `checkout load` prints at the end (and, as JSON, with --json). */
export interface LoadSummary {
  rateRequested: number;
  rateAchieved: number;
  durationS: number;
  faults: string;
  sent: number;
  dropped: number;
  outcomes: Record<LoadOutcome, number>;
  /** Status code names of rejections and errors, with counts. */
  failures: Record<string, number>;
  ackMs: Summary;
  endToEndMs: Summary;
}

export function summarizeLoad(report: LoadReport, run: { ratePerSec: number; faults: readonly FaultMixEntry[] }): LoadSummary {
  const outcomes = Object.fromEntries(LOAD_OUTCOMES.map((o) => [o, 0])) as Record<LoadOutcome, number>;
  const failures: Record<string, number> = {};
  const ack: number[] = [];
  const endToEnd: number[] = [];
  for (const s of report.samples) {
    outcomes[s.outcome]++;
    if (s.detail) failures[s.detail] = (failures[s.detail] ?? 0) + 1;
    if (s.ackMs !== undefined) ack.push(s.ackMs);
    if (s.endToEndMs !== undefined) endToEnd.push(s.endToEndMs);
  }
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    rateRequested: run.ratePerSec,
    rateAchieved: round(report.achievedRatePerSec),
    durationS: round(report.elapsedMs / 1000),
    faults: formatFaultMix(run.faults),
    sent: report.samples.length,
    dropped: report.dropped,
    outcomes,
    failures,
    ackMs: summarize(ack),
    endToEndMs: summarize(endToEnd),
  };
}

const ms = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(1));

/** The summary as two small tables: outcomes, then latency percentiles. */
export function formatLoadSummary(s: LoadSummary): string {
  const outcomeRows = LOAD_OUTCOMES.map((o) => ({ outcome: o, orders: s.outcomes[o], share: s.sent ? `${((100 * s.outcomes[o]) / s.sent).toFixed(1)}%` : '-' }));
  const latencyRows = [
    { latency: 'ack (PlaceOrder answered)', n: s.ackMs.n, 'p50 ms': ms(s.ackMs.p50), 'p95 ms': ms(s.ackMs.p95), 'p99 ms': ms(s.ackMs.p99) },
    { latency: 'end to end (terminal status)', n: s.endToEndMs.n, 'p50 ms': ms(s.endToEndMs.p50), 'p95 ms': ms(s.endToEndMs.p95), 'p99 ms': ms(s.endToEndMs.p99) },
  ];
  const failures = Object.entries(s.failures).sort((a, b) => b[1] - a[1]).map(([what, n]) => `${what} ×${n}`).join(', ');
  return [
    `load: ${s.sent} orders in ${s.durationS} s (asked ${s.rateRequested}/s, sent ${s.rateAchieved}/s), ${s.dropped} dropped, faults: ${s.faults}`,
    '',
    table(outcomeRows),
    '',
    table(latencyRows),
    ...(failures ? ['', `rejections and errors: ${failures}`] : []),
  ].join('\n');
}
