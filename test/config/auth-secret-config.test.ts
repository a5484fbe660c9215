import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_AUTH_SECRET, loadConfig } from '../../src/config/config.js';

const BASE = { CASSANDRA_CONTACT_POINTS: 'h:9042', KAFKA_BROKERS: 'h:9092' };
const OWN_SECRET = 'an-operators-own-secret-0123456789abcdef';

const problemsOf = (env: Record<string, string>): string => {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('the token secret a node starts with', () => {
  it('without AUTH_SECRET and without CHECKOUT_DEV_MODE the configuration is refused, naming AUTH_SECRET', () => {
    expect(problemsOf({})).toMatch(/AUTH_SECRET: is required/);
  });

  it('the public dev secret is refused outside dev mode', () => {
    expect(problemsOf({ AUTH_SECRET: DEV_AUTH_SECRET })).toMatch(/AUTH_SECRET: is the public dev secret/);
  });

  it('the public dev secret is refused as the previous secret outside dev mode', () => {
    expect(problemsOf({ AUTH_SECRET: OWN_SECRET, AUTH_KEY_ID: 'k2', AUTH_PREVIOUS_SECRET: DEV_AUTH_SECRET, AUTH_PREVIOUS_KEY_ID: 'k1' })).toMatch(/public dev secret/);
  });

  it('CHECKOUT_DEV_MODE without AUTH_SECRET gives the dev secret', () => {
    expect(loadConfig({ ...BASE, CHECKOUT_DEV_MODE: 'true' }).AUTH_SECRET).toBe(DEV_AUTH_SECRET);
  });

  it('an operator secret is taken as given', () => {
    expect(loadConfig({ ...BASE, AUTH_SECRET: OWN_SECRET }).AUTH_SECRET).toBe(OWN_SECRET);
  });

  it('a previous secret without key ids is refused', () => {
    expect(problemsOf({ AUTH_SECRET: OWN_SECRET, AUTH_PREVIOUS_SECRET: `${OWN_SECRET}-old` })).toMatch(/AUTH_PREVIOUS_SECRET: needs AUTH_PREVIOUS_KEY_ID and AUTH_KEY_ID/);
  });

  it('a previous key id equal to the current one is refused', () => {
    expect(problemsOf({ AUTH_SECRET: OWN_SECRET, AUTH_KEY_ID: 'k1', AUTH_PREVIOUS_SECRET: `${OWN_SECRET}-old`, AUTH_PREVIOUS_KEY_ID: 'k1' })).toMatch(/AUTH_PREVIOUS_KEY_ID: must differ/);
  });

  it('a clock tolerance above 300 s is refused', () => {
    expect(problemsOf({ AUTH_SECRET: OWN_SECRET, AUTH_CLOCK_TOLERANCE_S: '3600' })).toMatch(/AUTH_CLOCK_TOLERANCE_S/);
  });
});
