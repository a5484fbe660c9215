/** When each order reached a terminal status, and a wait for a set of orders to get there. */
import type { OrderStatus } from '../../../src/domain/order.js';
import type { Terminal } from '../bench-cluster.js';

export interface TerminalTracker {
  terminal: Map<string, Terminal>;
  /** Records the first terminal status of an order (later ones are ignored). */
  settle(orderId: string, status: OrderStatus): void;
  /** Resolves when every id is terminal, or after timeoutMs with the ids still open. */
  waitTerminal(ids: readonly string[], timeoutMs: number): Promise<string[]>;
}

export function terminalTracker(): TerminalTracker {
  const terminal = new Map<string, Terminal>();
  const waiters = new Set<(orderId: string) => void>();
  return {
    terminal,
    settle(orderId, status) {
      if (terminal.has(orderId)) return;
      terminal.set(orderId, { status, seenAt: Date.now() });
      for (const w of waiters) w(orderId);
    },
    waitTerminal: (ids, timeoutMs) => new Promise<string[]>((resolve) => {
      // Counts down instead of rescanning every id on each settlement (thousands per second).
      const open = new Set(ids.filter((id) => !terminal.has(id)));
      const finish = () => { clearTimeout(timer); waiters.delete(check); resolve([...open]); };
      const check = (orderId: string) => { if (open.delete(orderId) && open.size === 0) finish(); };
      const timer = setTimeout(finish, timeoutMs);
      waiters.add(check);
      if (open.size === 0) finish();
    }),
  };
}
