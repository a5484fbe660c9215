/**
 * A point a test holds code at: `pass()` (called by the code under test) reports that it got there
 * (`atGate` resolves) and waits until the test calls `open()`.
 */
export interface Gate {
  open(): void;
  atGate: Promise<void>;
  pass(): Promise<void>;
}

export function gate(): Gate {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((r) => { open = r; });
  const atGate = new Promise<void>((r) => { reached = r; });
  return { open, atGate, pass: async () => { reached(); await opened; } };
}
