/**
 * `npm run bench:peer`: the same checkout on Restate, beside ours, in one run. Ours: 3 nodes, the
 * project's Cassandra (`commitlog_sync: batch`) and Kafka-protocol broker. The peer: restate-server
 * (its log fsynced, as shipped) and a service process running the same five steps through the same
 * gRPC clients, installed on demand into node_modules/.cache (`peer-install.ts`). The same open-loop
 * generator (`runAtRate`) drives each in turn, on the project's downstream services: zero latency,
 * then bench:e2e's step latencies, then a kill round. Tables, then one JSON line.
 *
 *   --rates 50,100,200,400,600   zero-latency arrival rates (orders/s)
 *   --latency-rates 50,100,200   rates with the step latencies
 *   --duration 10                seconds per rate
 *   --kill-rate 20               orders/s during the kill round; --no-kill skips it
 *   --past-knee                  keep stepping up after a system's first unsustained rate
 *   --skip-ours / --skip-peer    one system only (no ratio table)
 */
import { Command } from 'commander';
import { createDownstreamClients } from '../../../src/clients/downstream-clients.js';
import { table } from '../../../src/load/stats.js';
import { startBenchCluster, STEP_LATENCY } from '../bench-cluster.js';
import { runAtRate, type RateRun, type RateTarget } from '../rate-run.js';
import { killRoundOurs, killRoundPeer, type KillRound } from './kill-round.js';
import { ensurePeerInstalled, RESTATE_SDK_VERSION, RESTATE_SERVER_VERSION } from './peer-install.js';
import { cpuRows, highestSustained, killRows, rateRows, ratios, sustained, type SystemResult } from './peer-report.js';
import { startPeerSystem } from './peer-system.js';

const CRITICAL_MS = STEP_LATENCY.reduce((s, l) => s + l.fixedMs, 0);
const DRAIN_MS = 30_000;

interface Options { rates: number[]; latencyRates: number[]; durationS: number; killRate: number; kill: boolean; pastKnee: boolean; skipOurs: boolean; skipPeer: boolean }

const log = (message: string) => process.stderr.write(`${message}\n`);
const numbers = (value: string) => value.split(',').map(Number);

/** What to stop if the run is interrupted (Ctrl-C, SIGTERM). */
let stopCurrent: (() => Promise<void>) | undefined;

async function measure(system: SystemResult['system'], target: RateTarget, opts: Options, setLatency: () => Promise<void>, killRound: () => Promise<KillRound>): Promise<SystemResult> {
  const result: SystemResult = { system, zero: [], latency: [] };
  await runAtRate(target, 10, 3_000, DRAIN_MS); // warm-up: JIT, connections
  const step = async (rates: number[], into: RateRun[], label: string) => {
    for (const rate of rates) {
      const run = await runAtRate(target, rate, opts.durationS * 1000, DRAIN_MS);
      into.push(run);
      log(`  ${system} ${label} ${rate}/s: ${run.completedPerSec} done/s, ack p99 ${run.ackMs.p99} ms, e2e p50 ${run.e2eMs.p50} p99 ${run.e2eMs.p99} ms${sustained(run) ? '' : ' (not sustained)'}`);
      if (!sustained(run) && !opts.pastKnee) { log(`  ${system}: past its knee, higher ${label} rates skipped (--past-knee runs them)`); break; }
    }
  };
  await step(opts.rates, result.zero, 'zero-latency');
  await setLatency();
  await step(opts.latencyRates, result.latency, 'step-latency');
  if (opts.kill) {
    result.kill = await killRound();
    log(`  ${system} kill round: ${JSON.stringify(result.kill)}`);
  }
  return result;
}

async function runOurs(opts: Options): Promise<SystemResult> {
  log('ours: starting Cassandra, the broker, downstream and 3 nodes...');
  const bench = await startBenchCluster({ name: 'bench-peer-ours', latency: [], env: { KAFKA_SESSION_TIMEOUT_MS: '3000', KAFKA_HEARTBEAT_INTERVAL_MS: '300' } });
  const downstream = createDownstreamClients(bench.cluster.downstreamAddress, { adminSecret: bench.cluster.downstreamAdminSecret });
  stopCurrent = async () => { downstream.close(); await bench.stop(); };
  try {
    return await measure('ours', bench, opts, async () => { await downstream.admin.setLatency({ rules: STEP_LATENCY }); },
      () => killRoundOurs(bench, downstream.admin, opts.killRate));
  } finally {
    await stopCurrent();
    stopCurrent = undefined;
  }
}

async function runPeer(opts: Options): Promise<SystemResult> {
  const install = await ensurePeerInstalled(log);
  log(`peer: restate-server ${RESTATE_SERVER_VERSION} + sdk ${RESTATE_SDK_VERSION}${install.installed ? ' (just installed)' : ' (cached)'}; starting downstream, server, service...`);
  const peer = await startPeerSystem({ install, log });
  stopCurrent = () => peer.stop();
  try {
    return await measure('peer', peer, opts, async () => { await peer.downstream.admin.setLatency({ rules: STEP_LATENCY }); },
      () => killRoundPeer(peer, opts.killRate));
  } finally {
    await stopCurrent();
    stopCurrent = undefined;
  }
}

function report(results: SystemResult[], opts: Options): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`\nbench:peer — ours (3 nodes, Cassandra commitlog_sync=batch) and Restate ${RESTATE_SERVER_VERSION} (log fsynced), ${opts.durationS} s per rate, same downstream services and load generator`);
  out('ack: ours = PlaceOrder answered (key reserved, priced, command in Kafka); peer = ingress accepted `/send` with an idempotency key (priced later, inside the handler).');
  out('e2e: scheduled arrival → ours: terminal status seen by a watcher on order-events; peer: the handler\'s response through `attach`. ms.');
  out(`\nzero-latency downstreams\n${table(results.flatMap((r) => rateRows(r, 'zero', 0)))}`);
  out(`\nstep latencies (fraud 30, authorize 80, delivery 60, merchant 40, capture 50 ms: critical path ${CRITICAL_MS} ms nominal; the downstream keeps no call durations, so no measured one)\n${table(results.flatMap((r) => rateRows(r, 'latency', CRITICAL_MS)))}`);
  out('\nCPU ms per terminal order, per process (load and drain; idle work included, so low rates read high)');
  for (const r of results) out(table(cpuRows(r)));
  for (const r of results) {
    const best = highestSustained(r.zero);
    const tried = r.zero.length > 0 && r.zero.every(sustained);
    out(`highest sustained, ${r.system}: ${best ? `${best.completedPerSec} completed/s at ${best.ratePerSec}/s offered${tried ? ' (every rate tried; a lower bound)' : ''}` : 'none of the rates'}`);
  }
  const kills = results.map((r) => r.kill).filter((k): k is KillRound => k !== undefined);
  if (kills.length) out(`\nkill round: SIGKILL 6 s into 20 s of load with the step latencies; times from the kill\n${table(killRows(kills))}`);
  const ours = results.find((r) => r.system === 'ours');
  const peer = results.find((r) => r.system === 'peer');
  const ratio = ours && peer ? ratios(ours, peer, CRITICAL_MS) : undefined;
  if (ratio) {
    out(`\nours ÷ peer (throughput: ${ratio.throughputBasis}, zero latency; overheads: e2e − critical path at ${ratio.atRate.latency}/s with step latencies, e2e at ${ratio.atRate.zero}/s zero latency; CPU per order at ${ratio.atRate.zero}/s)`);
    out(table([{
      throughput: ratio.throughput, 'p50 overhead': ratio.p50Overhead, 'p99 overhead': ratio.p99Overhead,
      'p50 (zero)': ratio.p50OverheadZero, 'p99 (zero)': ratio.p99OverheadZero, 'ack p50': ratio.ackP50, 'ack p99': ratio.ackP99, 'CPU/order': ratio.cpuPerOrder,
    }]));
  }
  const strip = (runs: RateRun[]) => runs.map(({ placed: _placed, ...r }) => r);
  out(JSON.stringify({
    bench: 'peer', date: new Date().toISOString(), durationS: opts.durationS, criticalMs: CRITICAL_MS, restate: { server: RESTATE_SERVER_VERSION, sdk: RESTATE_SDK_VERSION },
    systems: results.map((r) => ({ system: r.system, sustainedOrdersPerSec: highestSustained(r.zero)?.completedPerSec ?? 0, zero: strip(r.zero), latency: strip(r.latency), kill: r.kill })),
    ratios: ratio,
  }));
}

async function main(): Promise<void> {
  const program = new Command('bench:peer')
    .option('--rates <list>', 'zero-latency arrival rates, orders/s', '50,100,200,400,600')
    .option('--latency-rates <list>', 'arrival rates with the step latencies', '50,100,200')
    .option('--duration <s>', 'seconds per rate', '10')
    .option('--kill-rate <n>', 'orders/s during the kill round', '20')
    .option('--no-kill', 'skip the kill rounds')
    .option('--past-knee', 'keep stepping up after the first unsustained rate', false)
    .option('--skip-ours', 'run the peer only', false)
    .option('--skip-peer', 'run ours only', false)
    .parse();
  const o = program.opts<{ rates: string; latencyRates: string; duration: string; killRate: string; kill: boolean; pastKnee: boolean; skipOurs: boolean; skipPeer: boolean }>();
  const opts: Options = {
    rates: numbers(o.rates), latencyRates: numbers(o.latencyRates), durationS: Number(o.duration), killRate: Number(o.killRate),
    kill: o.kill, pastKnee: o.pastKnee, skipOurs: o.skipOurs, skipPeer: o.skipPeer,
  };
  if ([...opts.rates, ...opts.latencyRates, opts.killRate].some((r) => !(r > 0)) || !(opts.durationS > 0)) program.error('--rates, --latency-rates, --kill-rate must be positive numbers and --duration positive seconds');
  if (opts.skipOurs && opts.skipPeer) program.error('--skip-ours and --skip-peer together leave nothing to run');

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(1); // a second Ctrl-C: now (the children die with us: parent-death signal)
    interrupted = true;
    log(`\n${signal}: stopping everything this bench started...`);
    const stop = stopCurrent ?? (async () => undefined);
    const timeout = new Promise((r) => setTimeout(r, 30_000).unref());
    void Promise.race([stop().catch(() => undefined), timeout]).then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results: SystemResult[] = [];
  if (!opts.skipOurs) results.push(await runOurs(opts));
  if (!opts.skipPeer) results.push(await runPeer(opts));
  report(results, opts);
  process.exit(0); // keep-alive sockets and timers of the clients must not hold the run open
}

main().catch((err: unknown) => { process.stderr.write(`bench:peer failed: ${(err as Error).stack}\n`); process.exit(1); });
