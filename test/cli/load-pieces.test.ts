import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/load-progress.js';
import { startCheckoutLoad, type LoadCalls } from '../../src/load/checkout-load.js';
import { demoConsumers, demoPlaceRequest } from '../../src/load/demo-orders.js';
import { canonicalTarget, faultRules, parseFaultMix } from '../../src/load/fault-mix.js';
import { classifyFailure } from '../../src/load/load-outcomes.js';
import { formatLoadSummary, summarizeLoad } from '../../src/load/load-report.js';
import { createWorld } from '../../cluster/local/downstream/world.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('the fault mix of a load', () => {
  it('reads target=probability pairs, spelling targets as the admin API does, UNAVAILABLE by default', () => {
    expect(parseFaultMix('payments.capture=0.05, fraud.assess=0.02:deadline_exceeded,logistics.*=0.1')).toEqual([
      { target: 'payments.Capture', rate: 0.05, kind: 'UNAVAILABLE' },
      { target: 'fraud.Assess', rate: 0.02, kind: 'DEADLINE_EXCEEDED' },
      { target: 'logistics.*', rate: 0.1, kind: 'UNAVAILABLE' },
    ]);
    expect(parseFaultMix('')).toEqual([]);
  });

  it('refuses targets, probabilities and kinds the admin API does not have', () => {
    expect(() => parseFaultMix('payments.teleport=0.1')).toThrow(/no such target/);
    expect(() => parseFaultMix('payments.capture=1.5')).toThrow(/probability/);
    expect(() => parseFaultMix('payments.capture=0.1:EXPLODE')).toThrow(/kind must be one of/);
    expect(canonicalTarget('nothing.*')).toBeUndefined();
  });

  it('reads an outage window after @, and puts its rule in force only inside it', () => {
    const mix = parseFaultMix('fraud.assess=1@20s-50s,payments.capture=0.05');
    expect(mix[0]).toEqual({ target: 'fraud.Assess', rate: 1, kind: 'UNAVAILABLE', window: { fromMs: 20_000, toMs: 50_000 } });
    expect(faultRules(mix, 0).map((r) => r.target)).toEqual(['payments.Capture']);
    expect(faultRules(mix, 20_000).map((r) => r.target)).toEqual(['fraud.Assess', 'payments.Capture']);
    expect(faultRules(mix, 50_000).map((r) => r.target)).toEqual(['payments.Capture']);
    expect(parseFaultMix('merchant.sendorder=1@500ms-2m')[0]?.window).toEqual({ fromMs: 500, toMs: 120_000 });
    expect(() => parseFaultMix('fraud.assess=1@50s-20s')).toThrow(/window/);
    expect(() => parseFaultMix('fraud.assess=1@soon')).toThrow(/window/);
  });

  it('becomes admin FaultRules with a rate', () => {
    expect(faultRules(parseFaultMix('payments.authorize=0.01:card_declined'))).toEqual([{ target: 'payments.Authorize', kind: 'CARD_DECLINED', rate: 0.01 }]);
  });
});

describe('demo orders', () => {
  it('are all valid in the downstream world: open merchants, their available items, distinct lines', () => {
    const world = createWorld({ now: Date.now });
    for (let i = 0; i < 120; i++) {
      const r = demoPlaceRequest(i, 'c-load-1');
      const menu = world.menu(r.merchantId!);
      expect(world.merchant(r.merchantId!)?.open).toBe(true);
      for (const line of r.lines ?? []) expect(menu?.find((m) => m.itemId === line.itemId)?.available).toBe(true);
      expect(new Set(r.lines?.map((l) => l.itemId)).size).toBe(r.lines?.length);
    }
    expect(demoConsumers(2)).toEqual(['c-load-1', 'c-load-2']);
  });
});

describe('a checkout load over fake calls', () => {
  const fakeCalls = (outcome: (i: number) => string | Error): LoadCalls => {
    let n = 0;
    return {
      async place() {
        const i = n++;
        const o = outcome(i);
        await sleep(5);
        if (o instanceof Error) throw o;
        return { orderId: `o-${i}:${o}` };
      },
      async watchToTerminal(orderId) { await sleep(20); return orderId.split(':')[1]!; },
      async cancel() { return undefined; },
    };
  };

  it('counts every outcome and times acks before ends', async () => {
    const refused = Object.assign(new Error('bad'), { code: status.INVALID_ARGUMENT });
    const load = startCheckoutLoad({
      calls: fakeCalls((i) => (i % 5 === 4 ? refused : i % 5 === 3 ? 'FAILED' : 'COMPLETED')),
      consumers: ['c-1'], ratePerSec: 100, durationMs: 200,
    });
    const report = await load.done;
    const summary = summarizeLoad(report, { ratePerSec: 100, faults: [] });
    expect(summary.outcomes).toEqual({ COMPLETED: 12, FAILED: 4, CANCELLED: 0, rejected: 4, error: 0 });
    expect(summary.failures).toEqual({ INVALID_ARGUMENT: 4 });
    expect(summary.ackMs.p50).toBeLessThan(summary.endToEndMs.p50);
    expect(load.progress()).toMatchObject({ sent: 20, placed: 16, completed: 12, inFlight: 0 });
    expect(formatLoadSummary(summary)).toMatch(/end to end \(terminal status\)\s+16\s/);
  });

  it('an endless load runs until stopped', async () => {
    const load = startCheckoutLoad({ calls: fakeCalls(() => 'COMPLETED'), consumers: ['c-1'], ratePerSec: 50, durationMs: Number.POSITIVE_INFINITY });
    await sleep(300);
    load.stop();
    expect(load.progress().sent).toBeGreaterThan(5);
    expect(load.progress().expected).toBeUndefined();
  });

  it('a stopped load reports once the calls in flight settle, without waiting out its schedule', async () => {
    const load = startCheckoutLoad({ calls: fakeCalls(() => 'COMPLETED'), consumers: ['c-1'], ratePerSec: 50, durationMs: 30_000 });
    await sleep(200);
    const stoppedAt = performance.now();
    load.stop();
    const report = await load.done;
    expect(performance.now() - stoppedAt).toBeLessThan(1_000);
    expect(report.samples.length).toBe(load.progress().sent);
    expect(report.samples.every((s) => s.outcome === 'COMPLETED')).toBe(true);
  });

  it('tells a refusal from an error, and an error after acceptance from one before', () => {
    expect(classifyFailure(Object.assign(new Error(), { code: status.FAILED_PRECONDITION }), false)).toEqual({ outcome: 'rejected', detail: 'FAILED_PRECONDITION' });
    expect(classifyFailure(Object.assign(new Error(), { code: status.UNAVAILABLE }), false)).toEqual({ outcome: 'error', detail: 'UNAVAILABLE' });
    expect(classifyFailure(Object.assign(new Error(), { code: status.NOT_FOUND }), true)).toEqual({ outcome: 'error', detail: 'NOT_FOUND (after acceptance)' });
  });

  it('prints progress as one line for pipes', () => {
    expect(progressLine('demo', { sent: 10, expected: 20, placed: 9, completed: 7, failed: 1, cancelled: 0, rejected: 1, errors: 0, inFlight: 1, placedPerSec: 4.96 }))
      .toBe('demo: sent 10/20, placed 9, completed 7, failed 1, cancelled 0, rejected 1, errors 0, in flight 1, 5.0 orders/s');
  });
});
