import cliProgress from 'cli-progress';
import type { CheckoutLoad, LoadProgress } from '../load/checkout-load.js';

/** One line of progress, for logs and pipes (where a redrawn bar would be noise). */
export function progressLine(label: string, p: LoadProgress): string {
  const of = p.expected !== undefined ? `/${p.expected}` : '';
  return `${label}: sent ${p.sent}${of}, placed ${p.placed}, completed ${p.completed}, failed ${p.failed}, cancelled ${p.cancelled}, `
    + `rejected ${p.rejected}, errors ${p.errors}, in flight ${p.inFlight}, ${p.placedPerSec.toFixed(1)} orders/s`;
}

export interface ProgressDisplay { stop(): void }

/**
 * Shows a load's progress: a cli-progress bar redrawn in place on a terminal; on anything else
 * one summary line every `lineEveryMs`, so logs and tests read it line by line.
 */
export function showLoadProgress(load: Pick<CheckoutLoad, 'progress'>, opts: {
  label: string; stream: NodeJS.WritableStream; tty: boolean; lineEveryMs?: number;
}): ProgressDisplay {
  if (!opts.tty) {
    const timer = setInterval(() => opts.stream.write(`${progressLine(opts.label, load.progress())}\n`), opts.lineEveryMs ?? 5_000);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
  // A load with an end fills towards its arrivals; an endless one shows the share of settled
  // orders that completed.
  const endless = load.progress().expected === undefined;
  const bar = new cliProgress.SingleBar({
    stream: opts.stream,
    format: `${opts.label} [{bar}] {value}/{total} ${endless ? 'completed' : 'settled'} | placed {placed} | completed {completed} | failed {failed} | cancelled {cancelled} | rejected {rejected} | errors {errors} | {rate} orders/s`,
    hideCursor: true,
    barsize: 24,
  }, cliProgress.Presets.shades_classic);
  const payload = (p: LoadProgress) => ({ placed: p.placed, completed: p.completed, failed: p.failed, cancelled: p.cancelled, rejected: p.rejected, errors: p.errors, rate: p.placedPerSec.toFixed(1) });
  const settledOf = (p: LoadProgress) => p.completed + p.failed + p.cancelled + p.rejected + p.errors;
  const settled = (p: LoadProgress) => (endless ? p.completed : settledOf(p));
  const total = (p: LoadProgress) => Math.max(p.expected ?? settledOf(p), 1);
  const first = load.progress();
  bar.start(total(first), settled(first), payload(first));
  const timer = setInterval(() => {
    const p = load.progress();
    bar.setTotal(total(p));
    bar.update(settled(p), payload(p));
  }, 250);
  timer.unref();
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      const p = load.progress();
      bar.setTotal(total(p));
      bar.update(settled(p), payload(p));
      bar.stop();
    },
  };
}
