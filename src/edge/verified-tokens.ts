import type { Principal } from './auth.js';

/**
 * Bearer tokens this process has already verified, so a client that sends the same token with
 * every call pays one map lookup instead of an HMAC check and a JWT parse per call (the check was
 * ≈ 4 % of a node's CPU under load). Keyed by the exact token string: any other string, a forged
 * twin included, goes through the full check. An entry is used only before `validUntilMs`, the
 * earlier of the token's expiry and its maximum age (with the clock tolerance the full check
 * allows, less a second for the whole-second claims): past it the full check runs again and
 * gives the refusal its proper reason. Bounded: the least recently verified token is dropped first.
 */
export interface VerifiedTokens {
  /** The principal a token proved, if it was verified and is still valid at `nowMs`. */
  get(token: string, nowMs: number): Principal | undefined;
  remember(token: string, principal: Principal, validUntilMs: number): void;
  size(): number;
}

export const DEFAULT_VERIFIED_TOKENS_MAX = 10_000;

export function createVerifiedTokens(maxEntries = DEFAULT_VERIFIED_TOKENS_MAX): VerifiedTokens {
  if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new RangeError('maxEntries must be a non-negative integer');
  const entries = new Map<string, { principal: Principal; validUntilMs: number }>();
  return {
    get(token, nowMs) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (nowMs >= entry.validUntilMs) {
        entries.delete(token);
        return undefined;
      }
      return { ...entry.principal };
    },
    remember(token, principal, validUntilMs) {
      if (maxEntries === 0) return;
      entries.delete(token);
      entries.set(token, { principal: { ...principal }, validUntilMs });
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
    },
    size: () => entries.size,
  };
}
