import type { HealthImplementation } from 'grpc-health-check';
import type { Logger } from '../observability/logger.js';

/** A dependency the node cannot serve without; `check` rejects when it is unreachable. */
export interface DependencyProbe {
  name: string;
  check(): Promise<void>;
}

export interface DependencyHealth {
  /** True while every probe passed its last check. */
  readonly healthy: boolean;
  checkNow(): Promise<boolean>;
  stop(): void;
}

/**
 * Runs every probe on an interval and mirrors the result into the gRPC health service: SERVING
 * only while all dependencies answer, so load balancers stop sending work to a node that could
 * only fail it.
 */
export function watchDependencies(opts: {
  probes: DependencyProbe[];
  health: HealthImplementation;
  services: string[];
  intervalMs: number;
  timeoutMs: number;
  logger: Logger;
}): DependencyHealth {
  let healthy = false;
  let lastFailures = '';
  const runOnce = async (): Promise<boolean> => {
    const results = await Promise.allSettled(opts.probes.map((p) => withTimeout(p.check(), opts.timeoutMs, p.name)));
    const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [`${opts.probes[i]?.name}: ${errorMessage(r.reason)}`] : []));
    healthy = failures.length === 0;
    for (const service of opts.services) opts.health.setStatus(service, healthy ? 'SERVING' : 'NOT_SERVING');
    const summary = failures.join('; ');
    if (summary !== lastFailures) {
      if (healthy) opts.logger.info('dependencies reachable: serving');
      else opts.logger.warn({ failures }, 'dependency unreachable: not serving');
      lastFailures = summary;
    }
    return healthy;
  };
  const timer = setInterval(() => void runOnce(), opts.intervalMs);
  timer.unref();
  return {
    get healthy() { return healthy; },
    checkNow: runOnce,
    stop: () => clearInterval(timer),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
