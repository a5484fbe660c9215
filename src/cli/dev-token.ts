import { decodeJwt } from 'jose';
import { loadConfig } from '../config/config.js';
import { createTokenService, DEFAULT_TOKEN_TTL_SECONDS } from '../edge/auth.js';

/**
 * The secret tokens are signed with: the one given, else AUTH_SECRET, else the dev default every
 * node uses when AUTH_SECRET is unset — so a token minted here works on `npm start`'s cluster.
 */
export function tokenSecret(env: NodeJS.ProcessEnv, secret?: string): string {
  // Through loadConfig so the default secret and its validation exist once; the cluster
  // addresses it insists on play no part in signing, hence the placeholders.
  return loadConfig({ CASSANDRA_CONTACT_POINTS: 'unused:9042', KAFKA_BROKERS: 'unused:9092', AUTH_SECRET: secret ?? env.AUTH_SECRET }).AUTH_SECRET;
}

export interface MintOptions {
  subject: string;
  admin?: boolean;
  ttlSeconds?: number;
  secret: string;
}

export function mintDevToken(opts: MintOptions): Promise<string> {
  return createTokenService({ secret: opts.secret }).mint(opts.subject, {
    role: opts.admin ? 'admin' : 'consumer',
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
