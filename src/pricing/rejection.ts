import { BusinessRejection } from '../domain/errors.js';
import type { Problem } from './order-problems.js';

/**
 * One rejection for all of an order's problems, so the customer fixes everything in one go.
 * `reason` is the first problem's type (the caller lists them most fundamental first: a missing
 * store makes its items moot); every problem is a violation; the message reads them all.
 * Metadata from several problems under one key (two unavailable items) is comma-joined.
 */
export function rejectionFor(problems: readonly Problem[]): BusinessRejection {
  const first = problems[0];
  if (!first) throw new Error('rejectionFor needs at least one problem');
  const metadata: Record<string, string> = {};
  for (const p of problems) {
    for (const [key, value] of Object.entries(p.metadata ?? {})) metadata[key] = metadata[key] ? `${metadata[key]},${value}` : value;
  }
  const violations = problems.map((p) => p.violation);
  return new BusinessRejection(first.violation.type, violations.map((v) => v.description).join(' '), violations, metadata);
}
