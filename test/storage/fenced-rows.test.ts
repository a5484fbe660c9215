import { describe, expect, it } from 'vitest';
import { isValidPosition, validRows } from '../../src/storage/fenced-rows.js';

/* Which rows of a fenced journal are the order's history (src/storage/fenced-rows.ts). */
const row = (seq: number, gen: number) => ({ seq, gen });

describe('the history of a fenced journal', () => {
  it('is every row while only the first generation wrote', () => {
    expect(validRows([row(1, 1), row(2, 1), row(3, 1)], new Map())).toEqual([row(1, 1), row(2, 1), row(3, 1)]);
  });

  it("drops an older generation's row at or past a later generation's base", () => {
    const bases = new Map([[2, 3]]);
    expect(isValidPosition(row(3, 1), bases)).toBe(false);
    expect(isValidPosition(row(4, 1), bases)).toBe(false);
    expect(isValidPosition(row(2, 1), bases)).toBe(true);
  });

  it("keeps the later generation's own row at the position a stale row also took", () => {
    const rows = [row(1, 1), row(2, 1), row(3, 1), row(3, 2), row(4, 2)];
    expect(validRows(rows, new Map([[2, 3]]))).toEqual([row(1, 1), row(2, 1), row(3, 2), row(4, 2)]);
  });

  it('judges each row by every later base, not only the next generation', () => {
    const rows = [row(1, 1), row(2, 1), row(3, 2), row(4, 1), row(4, 3)];
    expect(validRows(rows, new Map([[2, 3], [3, 4]]))).toEqual([row(1, 1), row(2, 1), row(3, 2), row(4, 3)]);
  });

  it('starts after a snapshot position when asked to', () => {
    expect(validRows([row(1, 1), row(2, 1), row(3, 2)], new Map([[2, 3]]), 2)).toEqual([row(3, 2)]);
  });

  it('refuses two history rows at one position', () => {
    expect(() => validRows([row(1, 1), row(2, 1), row(2, 2)], new Map())).toThrow(/position 3 expected, found 2/);
  });

  it('refuses a gap in the history', () => {
    expect(() => validRows([row(1, 1), row(3, 1)], new Map())).toThrow(/position 2 expected, found 3/);
  });
});
