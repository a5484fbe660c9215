import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { callErrorReport, formatCallError } from '../../src/cli/call-errors.js';
import { describeCancel } from '../../src/cli/cancel.js';
import { parseAddress, type CliIo } from '../../src/cli/context.js';
import { tokenSubject } from '../../src/cli/dev-token.js';
import { loadPlan, type LoadFlags } from '../../src/cli/load.js';
import { parseItems, placeRequestFromFlags, type PlaceFlags } from '../../src/cli/place.js';
import { runCli } from '../../src/cli/program.js';
import { createStatusCodec, STATUS_DETAILS_KEY } from '../../src/grpc/status-details.js';

function bufferedIo(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '', stderr: '', env, isTTY: false, progressStream: process.stderr,
    out: (s: string) => { io.stdout += s; },
    err: (s: string) => { io.stderr += s; },
  };
  return io;
}

const placeFlags = (over: Partial<PlaceFlags> = {}): PlaceFlags => ({
  merchant: 'm-1', street: '1 Main St', city: 'New York', postalCode: '10001', country: 'US', lat: '40.72', lng: '-74', paymentMethod: 'pm-4242', tip: '0', ...over,
});

const loadFlags = (over: Partial<LoadFlags> = {}): LoadFlags => ({ rate: '10', duration: '3', consumers: '4', cancel: '0', faults: '', maxInFlight: '100', ...over });

describe('the CLI arguments', () => {
  it('reads items as itemId:qty[:note], and leaves a zero quantity for the service to refuse', () => {
    expect(parseItems('m-1-item-1:2, m-1-item-2:0:no onions')).toEqual([
      { itemId: 'm-1-item-1', quantity: 2, note: '' },
      { itemId: 'm-1-item-2', quantity: 0, note: 'no onions' },
    ]);
  });

  it('refuses an item without a whole-number quantity, naming the part', () => {
    expect(() => parseItems('m-1-item-1:two')).toThrow(/"m-1-item-1:two" is not itemId:qty/);
  });

  it('builds a place request from flags, defaulting the consumer, the items from the merchant and a random key', () => {
    const a = placeRequestFromFlags(placeFlags({ merchant: 'm-7' }), 'c-demo');
    const b = placeRequestFromFlags(placeFlags({ merchant: 'm-7' }), 'c-demo');
    expect(a.consumerId).toBe('c-demo');
    expect(a.lines?.map((l) => l.itemId)).toEqual(['m-7-item-1', 'm-7-item-2']);
    expect(a.deliveryAddress).toMatchObject({ city: 'New York', lat: 40.72, lng: -74 });
    expect(a.idempotencyKey).not.toBe(b.idempotencyKey);
    expect(placeRequestFromFlags(placeFlags({ idempotencyKey: 'key-12345678', consumer: 'c-2' }), 'c-demo')).toMatchObject({ idempotencyKey: 'key-12345678', consumerId: 'c-2' });
  });

  it('takes host:port addresses only', () => {
    expect(parseAddress('127.0.0.1:50051')).toBe('127.0.0.1:50051');
    expect(() => parseAddress('localhost')).toThrow(/--address must be host:port/);
    expect(() => parseAddress('h:99999')).toThrow(/host:port/);
  });

  it('plans a load: minted consumers, or the one consumer of a given token', () => {
    expect(loadPlan(loadFlags(), {}, undefined, true)).toMatchObject({ ratePerSec: 10, durationMs: 3000, consumers: ['c-load-1', 'c-load-2', 'c-load-3', 'c-load-4'], faults: [] });
    expect(loadPlan(loadFlags({ consumers: undefined }), {}, 'c-9', false).consumers).toEqual(['c-9']);
    expect(() => loadPlan(loadFlags(), {}, 'c-9', false)).toThrow(/--secret/);
  });

  it('reads --duration as seconds or with a unit, and refuses anything else', () => {
    const ms = (duration: string) => loadPlan(loadFlags({ duration }), {}, undefined, true).durationMs;
    expect([ms('20'), ms('20s'), ms('1.5m'), ms('500ms'), ms('1h')]).toEqual([20_000, 20_000, 90_000, 500, 3_600_000]);
    for (const bad of ['0', '-3', '20x', 's', '']) expect(() => ms(bad), bad).toThrow(/--duration must be a positive duration/);
  });

  it('refuses a fault mix without the downstream admin secret', () => {
    expect(() => loadPlan(loadFlags({ faults: 'payments.capture=0.05' }), { DOWNSTREAM_ADDRESS: '127.0.0.1:7000' }, undefined, true)).toThrow(/--downstream-secret/);
  });

  it('refuses a fault mix without a downstream address to set it through', () => {
    expect(() => loadPlan(loadFlags({ faults: 'payments.capture=0.05' }), {}, undefined, true)).toThrow(/--downstream/);
    expect(loadPlan(loadFlags({ faults: 'payments.capture=0.05' }), { DOWNSTREAM_ADDRESS: '127.0.0.1:7000', DOWNSTREAM_ADMIN_SECRET: 'a-downstream-secret-123' }, undefined, true))
      .toMatchObject({ downstream: '127.0.0.1:7000', downstreamSecret: 'a-downstream-secret-123', faults: [{ target: 'payments.Capture', rate: 0.05, kind: 'UNAVAILABLE' }] });
  });

  it('says whether a cancel undid the order or came too late', () => {
    expect(describeCancel('o-1', 'COMPLETED')).toMatch(/already finished \(COMPLETED\): nothing to cancel/);
    expect(describeCancel('o-1', 'CANCELLED')).toMatch(/cancelled/);
  });

  it('mints a token for the subject asked, with no network', async () => {
    const io = bufferedIo({ AUTH_SECRET: 'a-test-secret-0123456789abcdef-0123456789' });
    expect(await runCli(['token', '--subject', 'c-42', '--admin'], io)).toBe(0);
    expect(tokenSubject(io.stdout.trim())).toBe('c-42');
  });

  it('exits 2 with one line for a bad flag value, and for an unknown command', async () => {
    const io = bufferedIo();
    expect(await runCli(['--address', 'nowhere', 'get', 'o-1'], io)).toBe(2);
    expect(io.stderr).toBe('error: --address must be host:port, got "nowhere"\n');
    expect(await runCli(['frobnicate'], bufferedIo())).toBe(2);
  });
});

describe('CLI error output', () => {
  const codec = createStatusCodec();
  const serviceError = (code: number, details: Parameters<typeof codec.encode>[0]) => {
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_KEY, codec.encode(details));
    return Object.assign(new Error(details.message), { code, details: details.message, metadata });
  };

  it('prints the status code name, then the ErrorInfo reason and each field violation on its own line', () => {
    const err = serviceError(status.INVALID_ARGUMENT, {
      code: status.INVALID_ARGUMENT, message: 'the request has 1 invalid field',
      errorInfo: { reason: 'INVALID_ARGUMENT', domain: 'checkout.v1' },
      fieldViolations: [{ field: 'lines[0].quantity', description: 'must be between 1 and 50' }],
    });
    expect(formatCallError(callErrorReport(err, codec)!)).toEqual([
      'error: INVALID_ARGUMENT: the request has 1 invalid field',
      '  reason: INVALID_ARGUMENT (checkout.v1)',
      '  field lines[0].quantity: must be between 1 and 50',
    ]);
  });

  it('prints precondition failures and the retry delay', () => {
    const err = serviceError(status.FAILED_PRECONDITION, {
      code: status.FAILED_PRECONDITION, message: 'key reused',
      preconditionViolations: [{ type: 'IDEMPOTENCY_KEY_REUSED', subject: 'idempotency_key', description: 'use a new key' }],
      retryDelayMs: 1500,
    });
    const lines = formatCallError(callErrorReport(err, codec)!);
    expect(lines[0]).toBe('error: FAILED_PRECONDITION: key reused');
    expect(lines).toContain('  precondition IDEMPOTENCY_KEY_REUSED on idempotency_key: use a new key');
    expect(lines).toContain('  retry after 1500 ms');
  });

  it('falls back to the plain status when a call failed without details', () => {
    const err = Object.assign(new Error('14 UNAVAILABLE'), { code: status.UNAVAILABLE, details: 'No connection established', metadata: new Metadata() });
    expect(formatCallError(callErrorReport(err, codec)!)).toEqual(['error: UNAVAILABLE: No connection established']);
    expect(callErrorReport(new Error('not grpc'), codec)).toBeUndefined();
  });
});
