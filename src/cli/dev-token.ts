import { decodeJwt } from 'jose';
import { loadConfig } from '../config/config.js';
import { createTokenService, DEFAULT_TOKEN_TTL_SECONDS } from '../edge/auth.js';

/**
 * The secret tokens are signed with: the one given, else AUTH_SECRET, else the dev secret of a
 * local cluster (`npm start` runs its nodes in CHECKOUT_DEV_MODE) — so a token minted here works
 * there, and nowhere else: a node outside dev mode refuses that secret.
 */
export function tokenSecret(env: NodeJS.ProcessEnv, secret?: string): string {
  // Through loadConfig so the dev secret and its validation exist once; the cluster addresses
  // it insists on play no part in signing, hence the placeholders.
  return loadConfig({ CASSANDRA_CONTACT_POINTS: 'unused:9042', KAFKA_BROKERS: 'unused:9092', CHECKOUT_DEV_MODE: 'true', AUTH_SECRET: secret ?? env.AUTH_SECRET }).AUTH_SECRET;
}

export interface MintOptions {
  subject: string;
  admin?: boolean;
  /** A read-only operator token (the dashboard and its read API); ignored with `admin`. */
  operator?: boolean;
  ttlSeconds?: number;
  secret: string;
  /** The secret's key id (AUTH_KEY_ID), for nodes that hold two secrets during a rotation. */
  kid?: string;
}

export function mintDevToken(opts: MintOptions): Promise<string> {
  return createTokenService({ secret: opts.secret, ...(opts.kid ? { kid: opts.kid } : {}) }).mint(opts.subject, {
    role: opts.admin ? 'admin' : opts.operator ? 'operator' : 'consumer',
    ttlSeconds: opts.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
  });
}

/** The subject a token names (unverified: only to pick defaults; the server verifies). */
export function tokenSubject(token: string): string | undefined {
  try {
    const { sub } = decodeJwt(token);
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}
