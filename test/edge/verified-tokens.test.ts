import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { AuthError, createTokenService, type AuthFailure } from '../../src/edge/auth.js';
import { createVerifiedTokens } from '../../src/edge/verified-tokens.js';

const SECRET = 'test-secret-0123456789abcdef-0123456789';
const T0 = Date.parse('2026-12-01T12:00:00Z');
const principal = { consumerId: 'c-1', admin: false, operator: false, expiresAtMs: T0 + 60_000 };

const expectRefused = async (attempt: Promise<unknown>, failure: AuthFailure) => {
  const err = await attempt.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AuthError);
  expect([(err as AuthError).code, (err as AuthError).reason]).toEqual([grpc.status.UNAUTHENTICATED, failure]);
};

describe('verified tokens remembered by the token service', () => {
  it('a token verified once is still refused once it expires', async () => {
    let now = T0;
    const service = createTokenService({ secret: SECRET, clockToleranceSeconds: 0, clock: () => now });
    const token = await service.mint('c-1', { ttlSeconds: 60 });
    expect((await service.verify(token)).consumerId).toBe('c-1');
    now += 61_000;
    await expectRefused(service.verify(token), 'TOKEN_EXPIRED');
  });

  it('a token verified once is still refused past the maximum token age', async () => {
    let now = T0;
    const service = createTokenService({ secret: SECRET, maxTokenAgeSeconds: 3600, clockToleranceSeconds: 0, clock: () => now });
    const token = await service.mint('c-1', { ttlSeconds: 30 * 24 * 3600 });
    expect((await service.verify(token)).consumerId).toBe('c-1');
    now += 3601_000;
    await expectRefused(service.verify(token), 'TOKEN_EXPIRED');
  });

  it('a token verified once keeps verifying until just before its expiry', async () => {
    let now = T0;
    const service = createTokenService({ secret: SECRET, clockToleranceSeconds: 0, clock: () => now });
    const token = await service.mint('c-1', { ttlSeconds: 60 });
    await service.verify(token);
    now += 59_000;
    expect((await service.verify(token)).consumerId).toBe('c-1');
  });

  it('a forged twin of a verified token (same signature, other payload) is refused', async () => {
    const service = createTokenService({ secret: SECRET });
    const token = await service.mint('c-1');
    await service.verify(token);
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'c-2', role: 'admin', iss: 'checkout', aud: 'checkout.v1', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
    await expectRefused(service.verify(`${header}.${payload}.${signature}`), 'TOKEN_SIGNATURE_INVALID');
  });

  it('a caller changing the principal it got does not change what the next caller gets', async () => {
    const service = createTokenService({ secret: SECRET });
    const token = await service.mint('c-1');
    const first = await service.verify(token);
    first.admin = true;
    first.consumerId = 'c-2';
    expect(await service.verify(token)).toMatchObject({ consumerId: 'c-1', admin: false });
  });
});

describe('the verified-token memory', () => {
  it('answers a remembered token until its validity ends, then forgets it', () => {
    const memory = createVerifiedTokens();
    memory.remember('t', principal, T0 + 1_000);
    expect(memory.get('t', T0 + 999)).toEqual(principal);
    expect(memory.get('t', T0 + 1_000)).toBeUndefined();
    expect(memory.size()).toBe(0);
  });

  it('holds at most its bound, dropping the least recently verified token first', () => {
    const memory = createVerifiedTokens(2);
    memory.remember('a', principal, T0 + 10_000);
    memory.remember('b', principal, T0 + 10_000);
    memory.remember('c', principal, T0 + 10_000);
    expect([memory.get('a', T0), memory.get('b', T0), memory.get('c', T0)].map(Boolean)).toEqual([false, true, true]);
    expect(memory.size()).toBe(2);
  });

  it('with a bound of 0 remembers nothing', () => {
    const memory = createVerifiedTokens(0);
    memory.remember('a', principal, T0 + 10_000);
    expect(memory.get('a', T0)).toBeUndefined();
  });
});
