import * as grpc from '@grpc/grpc-js';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { EdgeStatusError, permissionDenied } from './rich-errors.js';
import { createVerifiedTokens } from './verified-tokens.js';

/** Who is calling, as proven by a verified bearer token. */
export interface Principal {
  consumerId: string;
  admin: boolean;
  /** A read-only operator: may read the cluster summary and any order's timeline, change nothing. */
  operator?: boolean;
  /** When the token stops being valid (ms since the epoch); a long-lived session must end then. */
  expiresAtMs?: number;
}

export type Role = 'consumer' | 'operator' | 'admin';
const ROLES: readonly unknown[] = ['consumer', 'operator', 'admin'] satisfies Role[];

/** A signing secret and the key id (`kid` header) that names it, so two can be in force during a rotation. */
export interface TokenKey {
  kid: string;
  secret: string;
}

export const TOKEN_ISSUER = 'checkout';
export const TOKEN_AUDIENCE = 'checkout.v1';
export const MIN_SECRET_LENGTH = 32;
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
/** Oldest `iat` accepted, whatever `exp` says: a token minted with a huge TTL still dies. */
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 24 * 3600;
/** Clock skew forgiven between the minting host and this one, on `exp` and `iat`. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

const ALGORITHM = 'HS256';
// Far above any token we mint (~250 chars); bounds the work a hostile header can cause.
const MAX_TOKEN_LENGTH = 4096;
const SUBJECT_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const KID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** Why a token was refused: the ErrorInfo reason of the UNAUTHENTICATED status. */
export type AuthFailure = 'TOKEN_MISSING' | 'TOKEN_MALFORMED' | 'TOKEN_SIGNATURE_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_CLAIMS_INVALID';

const CUSTOMER_MESSAGES: Record<AuthFailure, string> = {
  TOKEN_MISSING: 'sign in: this call needs an `authorization: Bearer <token>` header',
  TOKEN_MALFORMED: 'sign in again: the bearer token is not a valid token',
  TOKEN_SIGNATURE_INVALID: 'sign in again: the bearer token was not issued by this service',
  TOKEN_EXPIRED: 'sign in again: the bearer token has expired',
  TOKEN_CLAIMS_INVALID: 'sign in again: the bearer token is not valid for this service',
};

/**
 * A refused token: UNAUTHENTICATED with a reason. Its message is fixed per reason, so neither the
 * token nor the secret (nor jose's own wording) can reach the client or the logs through it.
 */
export class AuthError extends EdgeStatusError {
  override readonly name = 'AuthError';
  constructor(readonly failure: AuthFailure) {
    super(grpc.status.UNAUTHENTICATED, failure, CUSTOMER_MESSAGES[failure]);
  }
}

export interface TokenService {
  mint(subject: string, options?: { role?: Role; ttlSeconds?: number }): Promise<string>;
  /** The principal a token proves; throws AuthError for any token that does not verify. */
  verify(token: string): Promise<Principal>;
}

export interface TokenServiceOptions {
  /** The current secret: it signs what `mint` makes and verifies tokens naming `kid` (or no kid). */
  secret: string;
  /** The current secret's key id, written into minted tokens' `kid` header; unset, none is written. */
  kid?: string;
  /** The secret being rotated out: tokens naming its kid still verify until it is removed. */
  previous?: TokenKey;
  maxTokenAgeSeconds?: number;
  clockToleranceSeconds?: number;
  issuer?: string;
  audience?: string;
  clock?: () => number;
  /** Verified tokens remembered until they expire (see verified-tokens.ts); 0 turns that off. */
  verifiedTokensMax?: number;
}

/**
 * HS256 bearer tokens: `sub` = consumer id, `role`, `iat`, `exp`, fixed issuer and audience, and
 * `kid` naming the secret. A token without a kid is checked against the current secret (tokens
 * minted before key ids existed); one naming an unknown kid is refused as not ours.
 */
export function createTokenService(opts: TokenServiceOptions): TokenService {
  const keys = new Map<string, Uint8Array>();
  const current = keyOf(opts.secret);
  if (opts.kid !== undefined) keys.set(checkKid(opts.kid), current);
  if (opts.previous) {
    if (opts.previous.kid === opts.kid) throw new RangeError('the previous key must have a key id of its own');
    keys.set(checkKid(opts.previous.kid), keyOf(opts.previous.secret));
  }
  const issuer = opts.issuer ?? TOKEN_ISSUER;
  const audience = opts.audience ?? TOKEN_AUDIENCE;
  const clock = opts.clock ?? Date.now;
  const maxTokenAge = opts.maxTokenAgeSeconds ?? DEFAULT_MAX_TOKEN_AGE_SECONDS;
  const clockTolerance = opts.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const verified = createVerifiedTokens(opts.verifiedTokensMax);
  const keyFor = (header: { kid?: string }): Uint8Array => {
    if (header.kid === undefined) return current;
    const key = keys.get(header.kid);
    if (!key) throw new AuthError('TOKEN_SIGNATURE_INVALID');
    return key;
  };

  return {
    async mint(subject, { role = 'consumer', ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS } = {}) {
      if (!SUBJECT_PATTERN.test(subject)) throw new RangeError('the subject must be 1-64 characters of [A-Za-z0-9_.:-]');
      if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new RangeError('ttlSeconds must be a positive integer');
      const now = Math.floor(clock() / 1000);
      return new SignJWT({ role })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', ...(opts.kid === undefined ? {} : { kid: opts.kid }) })
        .setSubject(subject)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(current);
    },

    async verify(token) {
      if (token.length === 0) throw new AuthError('TOKEN_MISSING');
      if (token.length > MAX_TOKEN_LENGTH) throw new AuthError('TOKEN_MALFORMED');
      const known = verified.get(token, clock());
      if (known) return known;
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, keyFor, {
          algorithms: [ALGORITHM],
          issuer,
          audience,
          requiredClaims: ['sub', 'exp', 'iat'],
          maxTokenAge,
          clockTolerance,
          currentDate: new Date(clock()),
        }));
      } catch (err) {
        throw err instanceof AuthError ? err : new AuthError(failureOf(err));
      }
      const { sub, role, exp, iat } = payload;
      if (typeof sub !== 'string' || !SUBJECT_PATTERN.test(sub) || !ROLES.includes(role) || typeof exp !== 'number' || typeof iat !== 'number') {
        throw new AuthError('TOKEN_CLAIMS_INVALID');
      }
      const principal: Principal = { consumerId: sub, admin: role === 'admin', operator: role === 'operator', expiresAtMs: exp * 1000 };
      // The full check accepts while now < exp + tolerance and now - iat <= max age + tolerance
      // (whole seconds); a second less keeps the remembered token inside both.
      verified.remember(token, principal, (Math.min(exp, iat + maxTokenAge) + clockTolerance - 1) * 1000);
      return principal;
    },
  };
}

function keyOf(secret: string): Uint8Array {
  if (secret.length < MIN_SECRET_LENGTH) throw new RangeError(`the token secret must have at least ${MIN_SECRET_LENGTH} characters`);
  return new TextEncoder().encode(secret);
}

function checkKid(kid: string): string {
  if (!KID_PATTERN.test(kid)) throw new RangeError('a key id is 1-64 characters of [A-Za-z0-9_.-]');
  return kid;
}

// jose checks the signature before the claims, so an expired token reads as expired only when
// it is also genuine.
function failureOf(err: unknown): AuthFailure {
  if (err instanceof joseErrors.JWTExpired) return 'TOKEN_EXPIRED';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'TOKEN_SIGNATURE_INVALID';
  if (err instanceof joseErrors.JWTClaimValidationFailed || err instanceof joseErrors.JOSEAlgNotAllowed) return 'TOKEN_CLAIMS_INVALID';
  return 'TOKEN_MALFORMED';
}

const BEARER = /^Bearer +([^\s]+)$/i;

/** The principal behind the call's `authorization: Bearer <jwt>` metadata, or an AuthError. */
export async function authenticate(metadata: grpc.Metadata, tokens: Pick<TokenService, 'verify'>): Promise<Principal> {
  const values = metadata.get('authorization');
  if (values.length === 0) throw new AuthError('TOKEN_MISSING');
  // Two authorization headers are ambiguous: which one would the caller expect us to honour?
  const [value] = values;
  if (values.length > 1 || typeof value !== 'string') throw new AuthError('TOKEN_MALFORMED');
  const token = BEARER.exec(value.trim())?.[1];
  if (token === undefined) throw new AuthError('TOKEN_MALFORMED');
  return tokens.verify(token);
}

/** Admin surfaces (sandbox rules, fault injection): PERMISSION_DENIED for anyone else. */
export function requireAdmin(principal: Principal): void {
  if (!principal.admin) throw permissionDenied('this needs an admin token', 'ADMIN_REQUIRED');
}

/** Read-only operations surfaces (cluster summary, any order's timeline): an operator or an admin. */
export function requireOperator(principal: Principal): void {
  if (!principal.admin && principal.operator !== true) throw permissionDenied('this needs an operator or admin token', 'OPERATOR_REQUIRED');
}
