/*
 * Waiting for something to happen in a test: read until a condition holds, within a bound, then
 * check. Never a fixed sleep followed by "nothing else happened".
 */

export interface PollOptions {
  timeoutMs: number;
  everyMs?: number;
}

/**
 * Reads until `done` holds of what was read and returns that; throws once `timeoutMs` passed,
 * naming `what` and showing the last value read.
 */
export async function pollUntil<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, opts: PollOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${opts.timeoutMs} ms; last read ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 100));
  }
}

/** Waits until `cond` holds; throws once `timeoutMs` passed, naming `what`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, opts: PollOptions): Promise<void> {
  await pollUntil(what, async () => cond(), (held) => held, opts);
}
