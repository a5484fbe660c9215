import { Counter, Gauge, type Registry } from 'prom-client';
import type { LoadedRules } from './rules-file.js';
import type { Pool } from './sandbox-rules.js';

export interface RoutingMetrics {
  rulesLoaded(loaded: LoadedRules): void;
  rulesRefused(): void;
  routed(pool: Pool): void;
}

/** Which sandbox rules a node routes by, and where its new orders went (registered on the registry passed in). */
export function createRoutingMetrics(registry: Registry): RoutingMetrics {
  const version = new Gauge({ name: 'checkout_sandbox_rules_version', help: 'Load count of the sandbox rules in force (0: none loaded, everything main)', registers: [registry] });
  const loadedAt = new Gauge({ name: 'checkout_sandbox_rules_loaded_at_seconds', help: 'When the sandbox rules in force were loaded (epoch seconds)', registers: [registry] });
  const count = new Gauge({ name: 'checkout_sandbox_rules', help: 'Sandbox rules in force', registers: [registry] });
  const refused = new Counter({ name: 'checkout_sandbox_rules_refused_total', help: 'Rules files refused (the rules in force were kept)', registers: [registry] });
  const routed = new Counter({ name: 'checkout_orders_routed_total', help: 'New orders by the pool that runs them', labelNames: ['pool'], registers: [registry] });
  return {
    rulesLoaded(loaded) {
      version.set(loaded.version);
      loadedAt.set((loaded.loadedAt ?? 0) / 1000);
      count.set(loaded.rules.rules.length);
    },
    rulesRefused: () => refused.inc(),
    routed: (pool) => routed.inc({ pool }),
  };
}
