import { describe, expect, it } from 'vitest';
import { parseFaultRequest } from '../../src/dashboard/fault-request.js';

describe('fault requests from the page', () => {
  it('accepts rules naming a known target and kind', () => {
    expect(parseFaultRequest({ rules: [{ target: 'payments.Authorize', kind: 'UNAVAILABLE', rate: 0.3 }] }))
      .toEqual({ ok: true, rules: [{ target: 'payments.Authorize', kind: 'UNAVAILABLE', rate: 0.3, firstCalls: 0 }] });
    expect(parseFaultRequest({ rules: [] })).toEqual({ ok: true, rules: [] });
  });

  it('names the first bad field', () => {
    expect(parseFaultRequest({ rules: [{ target: 'payments.Authorise', kind: 'UNAVAILABLE' }] })).toMatchObject({ ok: false, problem: expect.stringContaining('rules[0].target') });
    expect(parseFaultRequest({ rules: [{ target: '*', kind: 'BOOM' }] })).toMatchObject({ ok: false, problem: expect.stringContaining('rules[0].kind') });
    expect(parseFaultRequest({ rules: [{ target: '*', kind: 'NO_COURIER', rate: 2 }] })).toMatchObject({ ok: false, problem: expect.stringContaining('rate') });
    expect(parseFaultRequest('rules')).toMatchObject({ ok: false });
  });
});
