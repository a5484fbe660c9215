import * as grpc from '@grpc/grpc-js';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { mintTokenFromArgs } from '../../cluster/local/mint-token.js';
import { AuthError, authenticate, createTokenService, requireAdmin, TOKEN_AUDIENCE, TOKEN_ISSUER, type AuthFailure } from '../../src/edge/auth.js';
import { EdgeStatusError } from '../../src/edge/rich-errors.js';

const SECRET = 'test-secret-0123456789abcdef-0123456789';
const tokens = createTokenService({ secret: SECRET });

const withAuthorization = (...values: string[]): grpc.Metadata => {
  const metadata = new grpc.Metadata();
  for (const value of values) metadata.add('authorization', value);
  return metadata;
};

/** The AuthError an authentication attempt fails with (the test fails if it succeeds). */
async function refusal(attempt: Promise<unknown>): Promise<AuthError> {
  const err = await attempt.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof AuthError)) throw new Error(`expected an AuthError, got ${String(err)}`);
  return err;
}

const expectRefused = async (attempt: Promise<unknown>, failure: AuthFailure) => {
  const err = await refusal(attempt);
  expect([err.code, err.reason]).toEqual([grpc.status.UNAUTHENTICATED, failure]);
  return err;
};

describe('bearer tokens', () => {
  it('a minted token verifies to its subject as a consumer', async () => {
    expect(await tokens.verify(await tokens.mint('c-1'))).toEqual({ consumerId: 'c-1', admin: false, operator: false, expiresAtMs: expect.any(Number) });
  });

  it('an admin token verifies as admin', async () => {
    expect(await tokens.verify(await tokens.mint('ops-1', { role: 'admin' }))).toEqual({ consumerId: 'ops-1', admin: true, operator: false, expiresAtMs: expect.any(Number) });
  });

  it('an operator token verifies as a read-only operator, not an admin', async () => {
    expect(await tokens.verify(await tokens.mint('ops-2', { role: 'operator' }))).toMatchObject({ consumerId: 'ops-2', admin: false, operator: true });
  });

  it('the principal carries the token\'s expiry', async () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    const clocked = createTokenService({ secret: SECRET, clock: () => now });
    expect((await clocked.verify(await clocked.mint('c-1', { ttlSeconds: 90 }))).expiresAtMs).toBe(now + 90_000);
  });

  it('a token past its expiry is UNAUTHENTICATED with reason TOKEN_EXPIRED', async () => {
    let now = Date.parse('2026-11-25T12:00:00Z');
    const clocked = createTokenService({ secret: SECRET, clockToleranceSeconds: 0, clock: () => now });
    const token = await clocked.mint('c-1', { ttlSeconds: 60 });
    now += 61_000;
    await expectRefused(clocked.verify(token), 'TOKEN_EXPIRED');
  });

  it('a token is still valid just before its expiry', async () => {
    let now = Date.parse('2026-11-25T12:00:00Z');
    const clocked = createTokenService({ secret: SECRET, clock: () => now });
    const token = await clocked.mint('c-1', { ttlSeconds: 60 });
    now += 59_000;
    expect((await clocked.verify(token)).consumerId).toBe('c-1');
  });

  it('a token signed with another secret is UNAUTHENTICATED with reason TOKEN_SIGNATURE_INVALID', async () => {
    const forged = await createTokenService({ secret: 'another-secret-0123456789abcdef-xyz' }).mint('c-1', { role: 'admin' });
    await expectRefused(tokens.verify(forged), 'TOKEN_SIGNATURE_INVALID');
  });

  it('a token with a tampered payload is UNAUTHENTICATED with reason TOKEN_SIGNATURE_INVALID', async () => {
    const [header, , signature] = (await tokens.mint('c-1')).split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'c-2', role: 'admin', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp: 4_102_444_800 })).toString('base64url');
    await expectRefused(tokens.verify(`${header}.${payload}.${signature}`), 'TOKEN_SIGNATURE_INVALID');
  });

  it('an unsigned (alg none) token is refused', async () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'c-1', role: 'admin', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp: 4_102_444_800 })).toString('base64url');
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const err = await refusal(tokens.verify(`${header}.${payload}.`));
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('a genuine token for another audience is UNAUTHENTICATED with reason TOKEN_CLAIMS_INVALID', async () => {
    const other = await createTokenService({ secret: SECRET, audience: 'merchant-portal' }).mint('c-1');
    await expectRefused(tokens.verify(other), 'TOKEN_CLAIMS_INVALID');
  });

  it('a genuine token without an expiry is UNAUTHENTICATED with reason TOKEN_CLAIMS_INVALID', async () => {
    const forever = await new SignJWT({ role: 'consumer' }).setProtectedHeader({ alg: 'HS256' })
      .setSubject('c-1').setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).sign(new TextEncoder().encode(SECRET));
    await expectRefused(tokens.verify(forever), 'TOKEN_CLAIMS_INVALID');
  });

  it('a genuine token with an unknown role is UNAUTHENTICATED with reason TOKEN_CLAIMS_INVALID', async () => {
    const root = await new SignJWT({ role: 'root' }).setProtectedHeader({ alg: 'HS256' }).setSubject('c-1')
      .setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
    await expectRefused(tokens.verify(root), 'TOKEN_CLAIMS_INVALID');
  });

  it('a secret shorter than 32 characters is refused at construction', () => {
    expect(() => createTokenService({ secret: 'x'.repeat(31) })).toThrow(/at least 32/);
  });

  it('the refusal message names neither the token nor the secret', async () => {
    const forged = await createTokenService({ secret: 'another-secret-0123456789abcdef-xyz' }).mint('c-1');
    const err = await refusal(tokens.verify(forged));
    const visible = `${err.message} ${err.customerMessage} ${JSON.stringify(err)}`;
    for (const secretPart of [forged, forged.split('.')[2] ?? '', SECRET, 'another-secret']) expect(visible).not.toContain(secretPart);
  });
});

describe('authenticate: the authorization metadata of a call', () => {
  it('a Bearer token in the metadata yields its principal', async () => {
    const metadata = withAuthorization(`Bearer ${await tokens.mint('c-7')}`);
    expect(await authenticate(metadata, tokens)).toMatchObject({ consumerId: 'c-7', admin: false, operator: false });
  });

  it('the Bearer scheme is matched case-insensitively', async () => {
    const metadata = withAuthorization(`bearer ${await tokens.mint('c-7')}`);
    expect((await authenticate(metadata, tokens)).consumerId).toBe('c-7');
  });

  it('no authorization metadata is UNAUTHENTICATED with reason TOKEN_MISSING', async () => {
    await expectRefused(authenticate(new grpc.Metadata(), tokens), 'TOKEN_MISSING');
  });

  it('a Bearer header with nothing after it is UNAUTHENTICATED', async () => {
    await expectRefused(authenticate(withAuthorization('Bearer '), tokens), 'TOKEN_MALFORMED');
  });

  it('a non-Bearer scheme is UNAUTHENTICATED with reason TOKEN_MALFORMED', async () => {
    await expectRefused(authenticate(withAuthorization(`Basic ${Buffer.from('c-1:pw').toString('base64')}`), tokens), 'TOKEN_MALFORMED');
  });

  it('a token that is not a JWT is UNAUTHENTICATED with reason TOKEN_MALFORMED', async () => {
    await expectRefused(authenticate(withAuthorization('Bearer not.a-jwt'), tokens), 'TOKEN_MALFORMED');
  });

  it('a huge garbage token is UNAUTHENTICATED with reason TOKEN_MALFORMED', async () => {
    await expectRefused(authenticate(withAuthorization(`Bearer ${'a'.repeat(100_000)}`), tokens), 'TOKEN_MALFORMED');
  });

  it('two authorization values are UNAUTHENTICATED, whichever is valid', async () => {
    const good = `Bearer ${await tokens.mint('c-1')}`;
    await expectRefused(authenticate(withAuthorization(good, good), tokens), 'TOKEN_MALFORMED');
  });
});

describe('requireAdmin', () => {
  it('a consumer is PERMISSION_DENIED with reason ADMIN_REQUIRED', () => {
    const err = (() => { try { requireAdmin({ consumerId: 'c-1', admin: false }); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(EdgeStatusError);
    expect([(err as EdgeStatusError).code, (err as EdgeStatusError).reason]).toEqual([grpc.status.PERMISSION_DENIED, 'ADMIN_REQUIRED']);
  });

  it('an admin passes', () => {
    expect(() => requireAdmin({ consumerId: 'ops-1', admin: true })).not.toThrow();
  });
});

describe('the mint-token CLI', () => {
  it('mints an admin token that verifies with the configured secret', async () => {
    const token = await mintTokenFromArgs(['--subject', 'c-9', '--admin', '--ttl', '120'], { AUTH_SECRET: SECRET });
    expect(await tokens.verify(token)).toMatchObject({ consumerId: 'c-9', admin: true });
  });

  it('without AUTH_SECRET signs with the dev secret a node in dev mode uses', async () => {
    const token = await mintTokenFromArgs(['--subject', 'c-9'], {});
    const { loadConfig } = await import('../../src/config/config.js');
    const nodeSecret = loadConfig({ CASSANDRA_CONTACT_POINTS: 'h:1', KAFKA_BROKERS: 'h:2', CHECKOUT_DEV_MODE: 'true' }).AUTH_SECRET;
    expect(await createTokenService({ secret: nodeSecret }).verify(token)).toMatchObject({ consumerId: 'c-9', admin: false });
  });

  it('mints a read-only operator token with --operator', async () => {
    const token = await mintTokenFromArgs(['--subject', 'ops', '--operator'], { AUTH_SECRET: SECRET });
    expect(await tokens.verify(token)).toMatchObject({ admin: false, operator: true });
  });

  it('refuses to run without a subject', async () => {
    await expect(mintTokenFromArgs([], {})).rejects.toThrow(/--subject is required/);
  });
});

describe('key rotation, token age and clock skew', () => {
  const OLD = 'old-secret-0123456789abcdef-0123456789';
  const NEW = 'new-secret-0123456789abcdef-0123456789';
  const rotating = createTokenService({ secret: NEW, kid: 'k2', previous: { kid: 'k1', secret: OLD } });

  it('a token signed with the previous secret and naming its kid verifies during the rotation', async () => {
    const old = await createTokenService({ secret: OLD, kid: 'k1' }).mint('c-1');
    expect((await rotating.verify(old)).consumerId).toBe('c-1');
  });

  it('a token signed with the current secret verifies and names the current kid', async () => {
    const token = await rotating.mint('c-1');
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid).toBe('k2');
    expect((await rotating.verify(token)).consumerId).toBe('c-1');
  });

  it('once the previous secret is removed, its tokens are TOKEN_SIGNATURE_INVALID', async () => {
    const old = await createTokenService({ secret: OLD, kid: 'k1' }).mint('c-1');
    await expectRefused(createTokenService({ secret: NEW, kid: 'k2' }).verify(old), 'TOKEN_SIGNATURE_INVALID');
  });

  it('a token naming one kid but signed with the other secret is TOKEN_SIGNATURE_INVALID', async () => {
    const lying = await createTokenService({ secret: OLD, kid: 'k2' }).mint('c-1', { role: 'admin' });
    await expectRefused(rotating.verify(lying), 'TOKEN_SIGNATURE_INVALID');
  });

  it('a token older than the maximum token age is TOKEN_EXPIRED even before its exp', async () => {
    let now = Date.parse('2026-11-25T12:00:00Z');
    const clocked = createTokenService({ secret: SECRET, maxTokenAgeSeconds: 3600, clockToleranceSeconds: 0, clock: () => now });
    const token = await clocked.mint('c-1', { ttlSeconds: 30 * 24 * 3600 });
    now += 3601_000;
    await expectRefused(clocked.verify(token), 'TOKEN_EXPIRED');
  });

  it('a token expired by less than the clock tolerance still verifies', async () => {
    let now = Date.parse('2026-11-25T12:00:00Z');
    const clocked = createTokenService({ secret: SECRET, clockToleranceSeconds: 30, clock: () => now });
    const token = await clocked.mint('c-1', { ttlSeconds: 60 });
    now += 80_000;
    expect((await clocked.verify(token)).consumerId).toBe('c-1');
  });

  it('a token expired by more than the clock tolerance is TOKEN_EXPIRED', async () => {
    let now = Date.parse('2026-11-25T12:00:00Z');
    const clocked = createTokenService({ secret: SECRET, clockToleranceSeconds: 30, clock: () => now });
    const token = await clocked.mint('c-1', { ttlSeconds: 60 });
    now += 91_000;
    await expectRefused(clocked.verify(token), 'TOKEN_EXPIRED');
  });

  it('a genuine token without iat is UNAUTHENTICATED with reason TOKEN_CLAIMS_INVALID', async () => {
    const key = new TextEncoder().encode(SECRET);
    const noIat = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('c-1').setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE).setExpirationTime('1h').sign(key);
    await expectRefused(tokens.verify(noIat), 'TOKEN_CLAIMS_INVALID');
  });
});
