import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors.js';
import { validatePlaceOrder } from '../../src/edge/place-order-validation.js';
import { EdgeStatusError } from '../../src/edge/rich-errors.js';
import type { PlaceOrderRequest__Output } from '../../src/generated/checkout/v1/PlaceOrderRequest.js';
import { consumer, validRequest } from '../support/valid-place-order.js';

describe('garbage in: only InvalidInputError or PERMISSION_DENIED out', () => {
  it('survives 3000 random garbage requests without any other error, and quickly', () => {
    const random = mulberry32(0xc0ffee);
    let validating = 0;
    let accepted = 0;
    let slowest = 0;
    for (let i = 0; i < 3000; i++) {
      const req = i % 2 === 0 ? junk(random, 0) : spoiledAtRandom(random);
      const t0 = performance.now();
      let outcome: unknown;
      try {
        validatePlaceOrder(req as PlaceOrderRequest__Output, consumer);
        accepted++;
      } catch (err) {
        outcome = err;
      }
      const took = performance.now() - t0;
      validating += took;
      slowest = Math.max(slowest, took);
      if (outcome === undefined) continue;
      const allowed = outcome instanceof InvalidInputError
        || (outcome instanceof EdgeStatusError && outcome.code === grpc.status.PERMISSION_DENIED);
      if (!allowed) throw new Error(`case ${i} threw ${String(outcome)}`);
      if (outcome instanceof InvalidInputError) {
        expect(outcome.violations.length).toBeGreaterThan(0);
        // Bounded, whatever the input: the list goes back in a trailer.
        expect(outcome.violations.length).toBeLessThanOrEqual(200);
        for (const v of outcome.violations) expect(v.description.length).toBeLessThan(120);
      }
    }
    expect(accepted).toBeLessThan(3000);
    expect(slowest).toBeLessThan(500);
    expect(validating).toBeLessThan(10_000);
  });
});

// ---- garbage generators (seeded, so a failure replays) ----

type Random = () => number;

function mulberry32(seed: number): Random {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const FIELD_NAMES = ['idempotencyKey', 'consumerId', 'merchantId', 'lines', 'deliveryAddress', 'paymentMethodId', 'tipMinor',
  'itemId', 'quantity', 'note', 'line1', 'city', 'postalCode', 'country', 'lat', 'lng', '__proto__', 'constructor', 'length', '0'];

function junkString(random: Random): string {
  const size = pick(random, [0, 1, 7, 8, 64, 65, 129, 201, 5_000, 1_000_000]);
  const alphabet = pick(random, [
    () => String.fromCharCode(Math.floor(random() * 0x10000)), // any UTF-16 unit, lone surrogates included
    () => String.fromCodePoint(Math.floor(random() * 0x110000)),
    () => pick(random, ['a', 'Z', '9', '-', ':', '.', '_', ' ', '\u0000', '\n', '\u202e', '🍕', '\ud800', 'é']),
    () => 'c-1',
  ]);
  if (size >= 5_000) return alphabet().repeat(size);
  let s = '';
  for (let i = 0; i < size; i++) s += alphabet();
  return s;
}

function junk(random: Random, depth: number): unknown {
  const kinds = [
    () => undefined, () => null, () => random() < 0.5, () => BigInt(Math.floor(random() * 1e6)), () => Symbol('junk'), () => () => 1,
    () => pick(random, [0, -0, 1, -1, 1.5, 99, 100, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53, 1e21]),
    () => junkString(random),
    () => new Date(),
    () => Buffer.from('junk'),
    () => throwingObject(),
    () => revokedProxy(),
    () => Object.create(null) as object,
    () => (depth < 3 ? Array.from({ length: pick(random, [0, 1, 3, 51]) }, () => junk(random, depth + 1)) : []),
    () => new Array(pick(random, [50, 2_000, 1_000_000])).fill(pick(random, [0, 'x', null])),
    () => {
      if (depth >= 3) return {};
      const obj: Record<string, unknown> = {};
      for (let i = 0, n = Math.floor(random() * 8); i < n; i++) {
        // defineProperty, so `__proto__` becomes an own key as JSON.parse would make it.
        Object.defineProperty(obj, pick(random, FIELD_NAMES), { value: junk(random, depth + 1), enumerable: true, configurable: true, writable: true });
      }
      return obj;
    },
  ];
  return pick(random, kinds)();
}

/** A valid request with one value somewhere inside replaced by garbage. */
function spoiledAtRandom(random: Random): unknown {
  const req = validRequest() as unknown as Record<string, unknown>;
  const targets: Array<[Record<string, unknown> | unknown[], string | number]> = [
    ...Object.keys(req).map((k) => [req, k] as [Record<string, unknown>, string]),
    ...['line1', 'city', 'postalCode', 'country', 'lat', 'lng'].map((k) => [req.deliveryAddress as Record<string, unknown>, k] as [Record<string, unknown>, string]),
    ...[0, 1, 2].flatMap((i) => ['itemId', 'quantity', 'note'].map((k) => [(req.lines as Array<Record<string, unknown>>)[i]!, k] as [Record<string, unknown>, string])),
    [req.lines as unknown[], 1],
  ];
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
    const [container, key] = pick(random, targets);
    (container as Record<string | number, unknown>)[key] = junk(random, 1);
  }
  return req;
}

function throwingObject(): object {
  return new Proxy({}, {
    get() { throw new Error('getter exploded'); },
    has() { throw new Error('has exploded'); },
    ownKeys() { throw new Error('ownKeys exploded'); },
    getPrototypeOf() { throw new Error('getPrototypeOf exploded'); },
  });
}

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable([], {});
  revoke();
  return proxy;
}
