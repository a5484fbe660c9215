import type { Logger } from '../observability/logger.js';
import { backoffDelay, type BackoffPolicy } from '../resilience/retry.js';
import type { Launched } from './consumer-launch.js';

export const STOPPED = Symbol('stopped');

export interface SupervisorDeps {
  backoff: BackoffPolicy;
  /** A consumer that ran this long before crashing starts the backoff over. */
  stableAfterMs: number;
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  logger: Logger;
  log: Record<string, unknown>;
  /** Resolves when stop() is called. */
  stopped: Promise<typeof STOPPED>;
  stopSignal: AbortSignal;
  isRunning(): boolean;
  launch(): Promise<Launched>;
  retire(launched: Launched): Promise<void>;
  onFatalCrash(error: Error, restartInMs: number): void;
  onRestarted(): number;
}

/**
 * Waits for the running consumer's fatal crash, retires it, and launches a new one after a
 * backoff; again and again, until stop().
 */
export async function superviseRestarts(first: Launched, deps: SupervisorDeps): Promise<void> {
  let launched: Launched | undefined = first;
  let failures = 0;
  let lastError: unknown;
  for (;;) {
    if (launched) {
      const outcome = await Promise.race([deps.stopped, launched.fatalCrash]);
      if (outcome === STOPPED) return;
      lastError = outcome;
      if (deps.now() - launched.startedAt >= deps.stableAfterMs) failures = 0;
      await deps.retire(launched);
      launched = undefined;
    }
    const delay = backoffDelay(++failures, deps.backoff, deps.random);
    deps.onFatalCrash(toError(lastError), delay);
    try {
      await deps.sleep(delay, deps.stopSignal);
    } catch {
      // aborted by stop()
    }
    if (!deps.isRunning()) return;
    const restarts = deps.onRestarted();
    try {
      launched = await deps.launch();
      deps.logger.info({ ...deps.log, restarts }, 'Kafka consumer re-created');
    } catch (err) {
      lastError = err;
    }
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
