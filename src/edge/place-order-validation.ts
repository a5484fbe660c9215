import { InvalidInputError, type FieldViolation } from '../domain/errors.js';
import type { PlaceOrderInput } from '../domain/place-order.js';
import type { PlaceOrderRequest__Output } from '../generated/checkout/v1/PlaceOrderRequest.js';
import type { Principal } from './auth.js';
import { permissionDenied } from './rich-errors.js';

/*
 * The rules, checked on trimmed values; every broken rule is reported, each under its proto
 * field path (google.rpc.BadRequest convention):
 *
 *   field                           rule
 *   idempotency_key                 8-128 chars of [A-Za-z0-9_-:.]
 *   consumer_id                     required; must equal the token's subject, else PERMISSION_DENIED
 *   merchant_id, payment_method_id  id: 1-64 chars of [A-Za-z0-9_.:-]
 *   lines                           1-50 lines (more: only this violation is reported)
 *   lines[i]                        a line object
 *   lines[i].item_id                id; no two lines with the same item (the later one is named)
 *   lines[i].quantity               integer 1-99
 *   lines[i].note                   optional text, at most 200 characters
 *   delivery_address                required
 *   delivery_address.line1          text, 1-200 characters
 *   delivery_address.city           text, 1-100 characters
 *   delivery_address.postal_code    3-12 chars of [A-Za-z0-9 -]
 *   delivery_address.country        ISO 3166-1 alpha-2, upper case
 *   delivery_address.lat / .lng     finite, in [-90, 90] / [-180, 180]; not both 0 (proto's "unset")
 *   tip_minor                       integer 0-100000 (at most 1000.00 in the merchant's currency)
 *
 * "text" means: no control characters (NUL included), no unpaired UTF-16 surrogates; lengths
 * count Unicode code points. Descriptions never echo the input: they go back in a trailer.
 *
 * The consumer check comes before the others (AIP-211: authorize, then validate), so a caller
 * learns nothing about a request it may not make. It applies to admins too: an order charges the
 * consumer's payment method, and only the consumer's own token may ask for that.
 *
 * The request arrives typed, but a client that bypasses the codec (or a bug upstream) can send
 * anything: every value is read as `unknown`, through accessors that cannot throw.
 */

const ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_\-:.]{8,128}$/;
const POSTAL_CODE = /^[A-Za-z0-9 -]{3,12}$/;
const COUNTRY = /^[A-Z]{2}$/;
const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_LINES = 50;
const MAX_QUANTITY = 99;
const MAX_TIP_MINOR = 100_000;

/** The validated, trimmed input of a PlaceOrder call, or InvalidInputError / PERMISSION_DENIED. */
export function validatePlaceOrder(req: PlaceOrderRequest__Output, principal: Principal): PlaceOrderInput {
  const violations: FieldViolation[] = [];
  const check = createChecker(violations);
  const request: unknown = req;

  const consumerId = check.string(read(request, 'consumerId'), 'consumer_id', (s) => (s === '' ? 'is required: your own consumer id' : undefined));
  if (consumerId !== '' && consumerId !== principal.consumerId) {
    throw permissionDenied('you can place orders only for yourself', 'CONSUMER_MISMATCH');
  }

  const input: PlaceOrderInput = {
    idempotencyKey: check.string(read(request, 'idempotencyKey'), 'idempotency_key', (s) =>
      IDEMPOTENCY_KEY.test(s) ? undefined : 'must be 8-128 characters of A-Z a-z 0-9 _ - : .'),
    consumerId,
    merchantId: check.id(read(request, 'merchantId'), 'merchant_id'),
    lines: validateLines(read(request, 'lines'), check),
    address: validateAddress(read(request, 'deliveryAddress'), check),
    paymentMethodId: check.id(read(request, 'paymentMethodId'), 'payment_method_id'),
    tipMinor: check.integer(read(request, 'tipMinor'), 'tip_minor', 0, MAX_TIP_MINOR),
  };
  if (violations.length > 0) throw new InvalidInputError(violations);
  return input;
}

type Checker = ReturnType<typeof createChecker>;

function validateLines(value: unknown, check: Checker): PlaceOrderInput['lines'] {
  if (!isArray(value)) return check.fail('lines', 'must be a list of cart lines', []);
  const count = read(value, 'length');
  // (A proxy can report any length: NaN and negatives count as empty.)
  if (typeof count !== 'number' || !(count >= 1)) return check.fail('lines', 'must have at least one line', []);
  // Checking each of thousands of lines would only bloat the error: fix the count first.
  if (count > MAX_LINES) return check.fail('lines', `must have at most ${MAX_LINES} lines`, []);

  const firstLineOf = new Map<string, number>();
  const lines: PlaceOrderInput['lines'] = [];
  for (let i = 0; i < count; i++) {
    const line = read(value, i);
    const at = `lines[${i}]`;
    if (!isRecord(line)) {
      check.fail(at, 'must be a cart line', undefined);
      continue;
    }
    const itemId = check.id(read(line, 'itemId'), `${at}.item_id`);
    const first = firstLineOf.get(itemId);
    if (first !== undefined) check.fail(`${at}.item_id`, `repeats the item of lines[${first}]: put the whole quantity on one line`, undefined);
    else if (ID.test(itemId)) firstLineOf.set(itemId, i);
    lines.push({
      itemId,
      quantity: check.integer(read(line, 'quantity'), `${at}.quantity`, 1, MAX_QUANTITY),
      note: check.text(read(line, 'note'), `${at}.note`, 0, 200),
    });
  }
  return lines;
}

function validateAddress(value: unknown, check: Checker): PlaceOrderInput['address'] {
  const at = 'delivery_address';
  if (!isRecord(value)) return check.fail(at, 'is required', { line1: '', city: '', postalCode: '', country: '', lat: NaN, lng: NaN });
  const address = {
    line1: check.text(read(value, 'line1'), `${at}.line1`, 1, 200),
    city: check.text(read(value, 'city'), `${at}.city`, 1, 100),
    postalCode: check.string(read(value, 'postalCode'), `${at}.postal_code`, (s) =>
      POSTAL_CODE.test(s) ? undefined : 'must be 3-12 characters of letters, digits, spaces and -'),
    country: check.string(read(value, 'country'), `${at}.country`, (s) =>
      COUNTRY.test(s) ? undefined : 'must be an ISO 3166-1 alpha-2 code in upper case, e.g. US'),
    lat: check.number(read(value, 'lat'), `${at}.lat`, -90, 90),
    lng: check.number(read(value, 'lng'), `${at}.lng`, -180, 180),
  };
  if (address.lat === 0 && address.lng === 0) {
    const unset = 'is required: lat and lng are both 0, which means the location is unset';
    check.fail(`${at}.lat`, unset, undefined);
    check.fail(`${at}.lng`, unset, undefined);
  }
  return address;
}

/**
 * Field checks: each returns the clean value, or records a violation and returns a stand-in
 * ('' or NaN) that no later rule mistakes for a valid value. Any violation fails the whole call.
 */
function createChecker(violations: FieldViolation[]) {
  const fail = <T>(field: string, description: string, standIn: T): T => {
    violations.push({ field, description });
    return standIn;
  };

  /** A string, trimmed, then judged by `rule` (which describes what is wrong, if anything). */
  const string = (value: unknown, field: string, rule: (trimmed: string) => string | undefined): string => {
    if (typeof value !== 'string') return fail(field, 'must be a string', '');
    const trimmed = value.trim();
    const problem = rule(trimmed);
    return problem === undefined ? trimmed : fail(field, problem, '');
  };

  const inRange = (value: unknown, field: string, min: number, max: number, isValid: (n: number) => boolean, kind: string): number => {
    if (typeof value !== 'number' || !isValid(value)) return fail(field, `must be ${kind}`, NaN);
    return value >= min && value <= max ? value : fail(field, `must be between ${min} and ${max}`, NaN);
  };

  return {
    fail,
    string,
    id: (value: unknown, field: string) =>
      string(value, field, (s) => (s === '' ? 'is required' : ID.test(s) ? undefined : 'must be 1-64 characters of A-Z a-z 0-9 _ . : -')),
    text: (value: unknown, field: string, min: number, max: number) =>
      // A missing optional text is what the proto default would have been: the empty string.
      string(value === undefined && min === 0 ? '' : value, field, (s) => textProblem(s, min, max)),
    integer: (value: unknown, field: string, min: number, max: number) => inRange(value, field, min, max, Number.isInteger, 'an integer'),
    number: (value: unknown, field: string, min: number, max: number) => inRange(value, field, min, max, Number.isFinite, 'a finite number'),
  };
}

function textProblem(s: string, min: number, max: number): string | undefined {
  if (s.length === 0) return min === 0 ? undefined : 'is required';
  // A code point is 1-2 UTF-16 units: past 2*max units it is too long without counting.
  if (s.length > 2 * max || codePoints(s) > max) return `must be at most ${max} characters`;
  if (LONE_SURROGATE.test(s)) return 'must be valid Unicode text';
  if (CONTROL.test(s)) return 'must not contain control characters';
  return undefined;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Array.isArray, except that a revoked proxy (which makes it throw) is not an array. */
function isArray(value: unknown): value is unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !isArray(value);
}

/** A property of an untrusted value; a throwing getter or proxy reads as absent. */
function read(value: unknown, key: string | number): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    return (value as Record<string | number, unknown>)[key];
  } catch {
    return undefined;
  }
}
