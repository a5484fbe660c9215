import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/domain/errors.js';
import type { Principal } from '../../src/edge/auth.js';
import { validatePlaceOrder } from '../../src/edge/place-order-validation.js';
import { EdgeStatusError } from '../../src/edge/rich-errors.js';
import type { PlaceOrderRequest__Output } from '../../src/generated/checkout/v1/PlaceOrderRequest.js';
import { consumer, validRequest } from '../support/valid-place-order.js';



/** The violations a request is rejected with (the test fails if it is accepted or fails otherwise). */
function violationsOf(req: unknown, principal: Principal = consumer): Array<{ field: string; description: string }> {
  try {
    validatePlaceOrder(req as PlaceOrderRequest__Output, principal);
  } catch (err) {
    if (err instanceof InvalidInputError) return err.violations;
    throw err;
  }
  throw new Error('the request was accepted');
}
const fieldsOf = (req: unknown) => violationsOf(req).map((v) => v.field);

const spoiled = (change: (req: PlaceOrderRequest__Output) => void): PlaceOrderRequest__Output => {
  const req = validRequest();
  change(req);
  return req;
};
const address = (req: PlaceOrderRequest__Output) => req.deliveryAddress!;
const line = (req: PlaceOrderRequest__Output, i: number) => req.lines[i]!;

describe('a valid PlaceOrder request', () => {
  it('becomes the PlaceOrderInput it describes', () => {
    expect(validatePlaceOrder(validRequest(), consumer)).toEqual({
      idempotencyKey: 'order-attempt-0001',
      consumerId: 'c-1',
      merchantId: 'm-1',
      lines: [
        { itemId: 'm-1-item-1', quantity: 2, note: 'no onions' },
        { itemId: 'm-1-item-2', quantity: 1, note: '' },
        { itemId: 'm-1-item-3', quantity: 1, note: '' },
      ],
      address: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US', lat: 40.7, lng: -74 },
      paymentMethodId: 'pm-1',
      tipMinor: 300,
    });
  });

  it('has the whitespace around its strings trimmed', () => {
    const req = spoiled((r) => {
      r.idempotencyKey = '  order-attempt-0001\t';
      r.consumerId = ' c-1 ';
      r.merchantId = '\nm-1 ';
      line(r, 0).itemId = ' m-1-item-1 ';
      line(r, 0).note = '  no onions  ';
      address(r).line1 = ' 1 Main St ';
      address(r).postalCode = ' 12345 ';
      address(r).country = ' US ';
      r.paymentMethodId = ' pm-1\u00a0';
    });
    const input = validatePlaceOrder(req, consumer);
    expect([input.idempotencyKey, input.consumerId, input.merchantId, input.lines[0]?.itemId, input.lines[0]?.note, input.address.line1, input.address.postalCode, input.address.country, input.paymentMethodId])
      .toEqual(['order-attempt-0001', 'c-1', 'm-1', 'm-1-item-1', 'no onions', '1 Main St', '12345', 'US', 'pm-1']);
  });

  it.each([
    ['an idempotency key of 8 characters', (r: PlaceOrderRequest__Output) => { r.idempotencyKey = 'a'.repeat(8); }],
    ['an idempotency key of 128 characters with every allowed symbol', (r: PlaceOrderRequest__Output) => { r.idempotencyKey = 'aZ09_-:.'.repeat(16); }],
    ['ids of 64 characters', (r: PlaceOrderRequest__Output) => { r.merchantId = 'm'.repeat(64); r.paymentMethodId = 'p:1.2_3-'.repeat(8); }],
    ['one line', (r: PlaceOrderRequest__Output) => { r.lines = [line(r, 0)]; }],
    ['50 lines', (r: PlaceOrderRequest__Output) => { r.lines = Array.from({ length: 50 }, (_, i) => ({ itemId: `i-${i}`, quantity: 1, note: '' })); }],
    ['quantities 1 and 99', (r: PlaceOrderRequest__Output) => { line(r, 0).quantity = 1; line(r, 1).quantity = 99; }],
    ['a note of 200 emoji (code points, not UTF-16 units)', (r: PlaceOrderRequest__Output) => { line(r, 0).note = '🍕'.repeat(200); }],
    ['a note in any script', (r: PlaceOrderRequest__Output) => { line(r, 0).note = 'sans oignons, 辣 — مرحبا'; }],
    ['a postal code with a space and a dash', (r: PlaceOrderRequest__Output) => { address(r).postalCode = 'SW1A 1A-A'; }],
    ['lat and lng at the extremes', (r: PlaceOrderRequest__Output) => { address(r).lat = -90; address(r).lng = 180; }],
    ['a lat of 0 with a non-zero lng (the equator)', (r: PlaceOrderRequest__Output) => { address(r).lat = 0; address(r).lng = 32.5; }],
    ['tips of 0 and 100000', (r: PlaceOrderRequest__Output) => { r.tipMinor = 100_000; }],
    ['a missing note (read as empty)', (r: PlaceOrderRequest__Output) => { delete (line(r, 0) as { note?: string }).note; }],
  ])('passes with %s', (_name, change) => {
    expect(() => validatePlaceOrder(spoiled(change), consumer)).not.toThrow();
  });
});

describe('each rule names the exact field it breaks', () => {
  type Case = [string, string, (r: PlaceOrderRequest__Output) => void];
  const cases: Case[] = [
    ['an idempotency key of 7 characters', 'idempotency_key', (r) => { r.idempotencyKey = 'a'.repeat(7); }],
    ['an idempotency key of 129 characters', 'idempotency_key', (r) => { r.idempotencyKey = 'a'.repeat(129); }],
    ['an idempotency key with a slash', 'idempotency_key', (r) => { r.idempotencyKey = 'order/attempt/1'; }],
    ['an idempotency key with an inner space', 'idempotency_key', (r) => { r.idempotencyKey = 'order attempt 1'; }],
    ['an empty idempotency key', 'idempotency_key', (r) => { r.idempotencyKey = ''; }],
    ['an empty consumer id', 'consumer_id', (r) => { r.consumerId = ''; }],
    ['a blank consumer id', 'consumer_id', (r) => { r.consumerId = '   '; }],
    ['an empty merchant id', 'merchant_id', (r) => { r.merchantId = ''; }],
    ['a merchant id of 65 characters', 'merchant_id', (r) => { r.merchantId = 'm'.repeat(65); }],
    ['a merchant id with a slash', 'merchant_id', (r) => { r.merchantId = 'm/1'; }],
    ['no lines', 'lines', (r) => { r.lines = []; }],
    ['51 lines', 'lines', (r) => { r.lines = Array.from({ length: 51 }, (_, i) => ({ itemId: `i-${i}`, quantity: 1, note: '' })); }],
    ['a line that is not an object', 'lines[2]', (r) => { (r.lines as unknown[])[2] = 'pizza'; }],
    ['an empty item id', 'lines[2].item_id', (r) => { line(r, 2).itemId = ''; }],
    ['an item id with a space inside', 'lines[2].item_id', (r) => { line(r, 2).itemId = 'm-1 item'; }],
    ['an item already on an earlier line', 'lines[2].item_id', (r) => { line(r, 2).itemId = 'm-1-item-1'; }],
    ['an item already on an earlier line, once trimmed', 'lines[2].item_id', (r) => { line(r, 2).itemId = ' m-1-item-1 '; }],
    ['a quantity of 0', 'lines[2].quantity', (r) => { line(r, 2).quantity = 0; }],
    ['a quantity of 100', 'lines[2].quantity', (r) => { line(r, 2).quantity = 100; }],
    ['a quantity of 1.5', 'lines[2].quantity', (r) => { line(r, 2).quantity = 1.5; }],
    ['a negative quantity', 'lines[2].quantity', (r) => { line(r, 2).quantity = -1; }],
    ['a note of 201 characters', 'lines[2].note', (r) => { line(r, 2).note = 'n'.repeat(201); }],
    ['a note with a newline', 'lines[2].note', (r) => { line(r, 2).note = 'ring twice\nthen knock'; }],
    ['a note with a NUL', 'lines[2].note', (r) => { line(r, 2).note = 'extra\u0000cheese'; }],
    ['a note with a C1 control character', 'lines[2].note', (r) => { line(r, 2).note = 'extra\u0085cheese'; }],
    ['a note with an unpaired high surrogate', 'lines[2].note', (r) => { line(r, 2).note = 'pizza \ud83c please'; }],
    ['a note with an unpaired low surrogate', 'lines[2].note', (r) => { line(r, 2).note = '\udf55 pizza'; }],
    ['no delivery address', 'delivery_address', (r) => { r.deliveryAddress = null; }],
    ['an empty address line', 'delivery_address.line1', (r) => { address(r).line1 = ' '; }],
    ['an address line of 201 characters', 'delivery_address.line1', (r) => { address(r).line1 = 'x'.repeat(201); }],
    ['an address line with a tab', 'delivery_address.line1', (r) => { address(r).line1 = '1 Main\tSt'; }],
    ['an empty city', 'delivery_address.city', (r) => { address(r).city = ''; }],
    ['a city of 101 characters', 'delivery_address.city', (r) => { address(r).city = 'c'.repeat(101); }],
    ['a city with an unpaired surrogate', 'delivery_address.city', (r) => { address(r).city = 'Spring\ud800field'; }],
    ['a postal code of 2 characters', 'delivery_address.postal_code', (r) => { address(r).postalCode = '12'; }],
    ['a postal code of 13 characters', 'delivery_address.postal_code', (r) => { address(r).postalCode = '1234567890123'; }],
    ['a postal code with a #', 'delivery_address.postal_code', (r) => { address(r).postalCode = '123#45'; }],
    ['a lower-case country', 'delivery_address.country', (r) => { address(r).country = 'us'; }],
    ['a three-letter country', 'delivery_address.country', (r) => { address(r).country = 'USA'; }],
    ['an empty country', 'delivery_address.country', (r) => { address(r).country = ''; }],
    ['a lat of 90.0001', 'delivery_address.lat', (r) => { address(r).lat = 90.0001; }],
    ['a lat of -91', 'delivery_address.lat', (r) => { address(r).lat = -91; }],
    ['a NaN lat', 'delivery_address.lat', (r) => { address(r).lat = NaN; }],
    ['an infinite lat', 'delivery_address.lat', (r) => { address(r).lat = Infinity; }],
    ['a lng of 180.5', 'delivery_address.lng', (r) => { address(r).lng = 180.5; }],
    ['a lng of -Infinity', 'delivery_address.lng', (r) => { address(r).lng = -Infinity; }],
    ['an empty payment method', 'payment_method_id', (r) => { r.paymentMethodId = ''; }],
    ['a payment method with a control character', 'payment_method_id', (r) => { r.paymentMethodId = 'pm\u00071'; }],
    ['a negative tip', 'tip_minor', (r) => { r.tipMinor = -1; }],
    ['a tip of 100001', 'tip_minor', (r) => { r.tipMinor = 100_001; }],
    ['a fractional tip', 'tip_minor', (r) => { r.tipMinor = 2.5; }],
    ['a tip sent as a string (codec bypassed)', 'tip_minor', (r) => { (r as { tipMinor: unknown }).tipMinor = '300'; }],
    ['an idempotency key sent as a number (codec bypassed)', 'idempotency_key', (r) => { (r as { idempotencyKey: unknown }).idempotencyKey = 12345678; }],
    ['lines sent as an object (codec bypassed)', 'lines', (r) => { (r as { lines: unknown }).lines = { 0: line(r, 0) }; }],
    ['a quantity sent as a string (codec bypassed)', 'lines[1].quantity', (r) => { (line(r, 1) as { quantity: unknown }).quantity = '2'; }],
    ['an address sent as a string (codec bypassed)', 'delivery_address', (r) => { (r as { deliveryAddress: unknown }).deliveryAddress = '1 Main St'; }],
  ];

  it.each(cases)('%s is reported as exactly one violation of %s', (_name, field, change) => {
    expect(fieldsOf(spoiled(change))).toEqual([field]);
  });

  it('lat and lng both 0 (the proto default: unset) are both reported', () => {
    expect(fieldsOf(spoiled((r) => { address(r).lat = 0; address(r).lng = 0; }))).toEqual(['delivery_address.lat', 'delivery_address.lng']);
  });

  it('the second of two duplicate items is named, pointing back at the first', () => {
    const [violation] = violationsOf(spoiled((r) => { line(r, 2).itemId = 'm-1-item-2'; }));
    expect(violation?.field).toBe('lines[2].item_id');
    expect(violation?.description).toContain('lines[1]');
  });

  it('a violation never echoes the offending value', () => {
    const marker = 'SECRET-MARKER';
    const violations = violationsOf(spoiled((r) => { line(r, 0).note = `${marker}\u0000`; r.merchantId = `${marker}/`; }));
    expect(violations).toHaveLength(2);
    expect(JSON.stringify(violations)).not.toContain(marker);
  });
});

describe('the consumer placing the order', () => {
  const isConsumerMismatch = (run: () => unknown) => {
    try {
      run();
    } catch (err) {
      return err instanceof EdgeStatusError && err.code === grpc.status.PERMISSION_DENIED && err.reason === 'CONSUMER_MISMATCH';
    }
    return false;
  };

  it('may not place an order for another consumer: PERMISSION_DENIED', () => {
    expect(isConsumerMismatch(() => validatePlaceOrder(spoiled((r) => { r.consumerId = 'c-2'; }), consumer))).toBe(true);
  });

  it('is refused before any field is validated, so nothing else is revealed', () => {
    const req = spoiled((r) => { r.consumerId = 'c-2'; r.lines = []; r.tipMinor = -5; });
    expect(isConsumerMismatch(() => validatePlaceOrder(req, consumer))).toBe(true);
  });

  it('may not be someone else even with an admin token', () => {
    expect(isConsumerMismatch(() => validatePlaceOrder(validRequest(), { consumerId: 'ops-1', admin: true }))).toBe(true);
  });
});

describe('every broken rule is reported at once', () => {
  it('a request with many bad fields lists each of them', () => {
    const req = spoiled((r) => {
      r.idempotencyKey = 'short';
      r.merchantId = '';
      line(r, 0).quantity = 0;
      line(r, 1).note = 'x'.repeat(300);
      line(r, 2).itemId = 'm-1-item-1';
      address(r).postalCode = '!';
      address(r).lng = 999;
      r.paymentMethodId = '';
      r.tipMinor = 1e9;
    });
    expect(new Set(fieldsOf(req))).toEqual(new Set([
      'idempotency_key', 'merchant_id', 'lines[0].quantity', 'lines[1].note', 'lines[2].item_id',
      'delivery_address.postal_code', 'delivery_address.lng', 'payment_method_id', 'tip_minor',
    ]));
  });

  it('an empty object reports every required field', () => {
    expect(new Set(fieldsOf({}))).toEqual(new Set(['consumer_id', 'idempotency_key', 'merchant_id', 'lines', 'delivery_address', 'payment_method_id', 'tip_minor']));
  });
});
