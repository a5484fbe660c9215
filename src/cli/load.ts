import type { Command } from 'commander';
import { createDownstreamClients } from '../clients/downstream-clients.js';
import { startCheckoutLoad } from '../load/checkout-load.js';
import { demoConsumers } from '../load/demo-orders.js';
import { applyFaultMix, parseFaultMix, type FaultMixEntry } from '../load/fault-mix.js';
import { formatLoadSummary, summarizeLoad } from '../load/load-report.js';
import { parseAddress, parseDurationMs, parseNumber, runCommand, UsageError, type CliIo, type CommandContext } from './context.js';
import { showLoadProgress } from './load-progress.js';

export interface LoadFlags {
  rate: string;
  duration: string;
  /** Unset: 4 minted consumers, or the one a given token names. */
  consumers?: string;
  cancel: string;
  faults: string;
  downstream?: string;
  downstreamSecret?: string;
  maxInFlight: string;
}

export interface LoadPlan {
  ratePerSec: number;
  durationMs: number;
  consumers: string[];
  cancelFraction: number;
  faults: FaultMixEntry[];
  downstream?: string;
  /** The downstream admin API's shared secret, sent with the fault calls. */
  downstreamSecret?: string;
  maxInFlight: number;
}

/** The run the flags describe; with a given token (no minting) every order is that token's consumer's. */
export function loadPlan(flags: LoadFlags, env: NodeJS.ProcessEnv, tokenSubject: string | undefined, canMint: boolean): LoadPlan {
  const faults = parseFaultMix(flags.faults);
  const downstreamFlag = flags.downstream ?? env.DOWNSTREAM_ADDRESS;
  if (faults.length > 0 && !downstreamFlag) throw new UsageError('--faults needs --downstream host:port (or DOWNSTREAM_ADDRESS): faults are set through the downstream admin API');
  const downstreamSecret = flags.downstreamSecret ?? env.DOWNSTREAM_ADMIN_SECRET;
  if (faults.length > 0 && !downstreamSecret) throw new UsageError('--faults needs --downstream-secret (or DOWNSTREAM_ADMIN_SECRET): the downstream admin API takes calls only with its shared secret');
  const consumerCount = parseNumber(flags.consumers ?? (canMint ? '4' : '1'), '--consumers', (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1');
  if (!canMint && consumerCount > 1) throw new UsageError('--consumers > 1 needs tokens for each consumer: pass --secret (or AUTH_SECRET) instead of --token');
  return {
    ratePerSec: parseNumber(flags.rate, '--rate', (n) => n > 0, 'a positive number of orders per second'),
    durationMs: parseDurationMs(flags.duration, '--duration'),
    consumers: canMint ? demoConsumers(consumerCount) : [tokenSubject ?? 'c-demo'],
    cancelFraction: parseNumber(flags.cancel, '--cancel', (n) => n >= 0 && n <= 1, 'a fraction in [0, 1]'),
    faults,
    ...(downstreamFlag ? { downstream: parseAddress(downstreamFlag, '--downstream') } : {}),
    ...(downstreamSecret ? { downstreamSecret } : {}),
    maxInFlight: parseNumber(flags.maxInFlight, '--max-in-flight', (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1'),
  };
}

async function runLoad(ctx: CommandContext, flags: LoadFlags): Promise<number> {
  const plan = loadPlan(flags, ctx.io.env, ctx.credentials.subject, ctx.credentials.canMint);
  const downstream = plan.downstream && plan.faults.length ? createDownstreamClients(plan.downstream, { ...(plan.downstreamSecret ? { adminSecret: plan.downstreamSecret } : {}) }) : undefined;
  const clearFaults = downstream ? await applyFaultMix(downstream.admin, plan.faults) : async () => undefined;
  const load = startCheckoutLoad({
    calls: ctx.client().loadCalls(), consumers: plan.consumers, ratePerSec: plan.ratePerSec, durationMs: plan.durationMs,
    cancelFraction: plan.cancelFraction, maxInFlight: plan.maxInFlight,
  });
  const interrupt = () => load.stop();
  process.once('SIGINT', interrupt);
  const progress = showLoadProgress(load, { label: 'load', stream: ctx.io.progressStream, tty: ctx.io.isTTY });
  try {
    const report = await load.done;
    progress.stop();
    const summary = summarizeLoad(report, { ratePerSec: plan.ratePerSec, faults: plan.faults });
    ctx.print(formatLoadSummary(summary), summary);
    return 0;
  } finally {
    progress.stop();
    process.off('SIGINT', interrupt);
    await clearFaults().catch((err: unknown) => ctx.io.err(`could not clear the faults: ${(err as Error).message}\n`));
    downstream?.close();
  }
}

export function registerLoad(program: Command, io: CliIo, done: (code: number) => void): void {
  program.command('load')
    .description('open-loop load: place orders at a fixed rate, follow each to its end, print outcomes and latency percentiles')
    .option('--rate <perSec>', 'arrivals per second', '10')
    .option('--duration <time>', 'how long arrivals go on: 20 or 20s, 2m, 500ms', '10')
    .option('--consumers <n>', 'orders are spread over c-load-1 … c-load-<n> (default 4; 1, the token\'s subject, with --token)')
    .option('--cancel <fraction>', 'share of accepted orders cancelled right away', '0')
    .option('--faults <mix>', 'downstream faults during the run, e.g. payments.capture=0.05,fraud.assess=0.02 (kind UNAVAILABLE unless :KIND)', '')
    .option('--downstream <host:port>', 'the downstream services\' admin address (env DOWNSTREAM_ADDRESS), for --faults')
    .option('--downstream-secret <secret>', 'the downstream admin API\'s shared secret (env DOWNSTREAM_ADMIN_SECRET), for --faults')
    .option('--max-in-flight <n>', 'arrivals beyond this many outstanding orders are dropped and counted', '2000')
    .action(async (flags: LoadFlags, cmd: Command) => done(await runCommand(io, cmd, (ctx) => runLoad(ctx, flags))));
}
