import type { Amount__Output } from '../../../src/generated/downstream/v1/Amount.js';
import type { GeoPoint__Output } from '../../../src/generated/downstream/v1/GeoPoint.js';
import { invalidArgument } from './downstream-errors.js';

// Field names in errors are the proto's (snake_case): they are what a caller sees in its request.

const MAX_TEXT = 256;

export function requireText(value: string, field: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw invalidArgument(field, `${field} is required`);
  if (value.length > MAX_TEXT) throw invalidArgument(field, `${field} is longer than ${MAX_TEXT} characters`);
}

export function optionalText(value: string, field: string): void {
  if (value) requireText(value, field);
}

/** A compensation or capture names its target by id or by the original call's key: one is needed. */
export function requireEither(id: string, idField: string, key: string, keyField: string): void {
  optionalText(id, idField);
  optionalText(key, keyField);
  if (!id && !key) throw invalidArgument(idField, `${idField} or ${keyField} is required`);
}

export function requireAmount(amount: Amount__Output | null, field: string): Amount__Output {
  if (!amount) throw invalidArgument(field, `${field} is required`);
  checkAmount(amount, field);
  if (amount.minor <= 0) throw invalidArgument(`${field}.minor`, `${field}.minor must be positive`);
  return amount;
}

/** An amount that may be left out (or zero) to mean "all of it". */
export function optionalAmount(amount: Amount__Output | null, field: string): Amount__Output | undefined {
  if (!amount || (amount.minor === 0 && amount.currency === '')) return undefined;
  checkAmount(amount, field);
  if (amount.minor < 0) throw invalidArgument(`${field}.minor`, `${field}.minor must not be negative`);
  return amount.minor === 0 ? undefined : amount;
}

function checkAmount(amount: Amount__Output, field: string): void {
  if (!/^[A-Z]{3}$/.test(amount.currency)) throw invalidArgument(`${field}.currency`, `${field}.currency must be an ISO 4217 code`);
  if (!Number.isSafeInteger(amount.minor)) throw invalidArgument(`${field}.minor`, `${field}.minor must be an integer`);
}

export function requirePoint(point: GeoPoint__Output | null, field: string): GeoPoint__Output {
  if (!point) throw invalidArgument(field, `${field} is required`);
  checkPoint(point, field);
  return point;
}

export function optionalPoint(point: GeoPoint__Output | null, field: string): GeoPoint__Output | undefined {
  if (!point) return undefined;
  checkPoint(point, field);
  return point;
}

function checkPoint(point: GeoPoint__Output, field: string): void {
  const ok = Number.isFinite(point.lat) && Number.isFinite(point.lng) && Math.abs(point.lat) <= 90 && Math.abs(point.lng) <= 180;
  if (!ok) throw invalidArgument(field, `${field} must have lat in [-90, 90] and lng in [-180, 180]`);
}
