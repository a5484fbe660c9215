import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { cassandraSecurityOf, kafkaSecurityOf, serverTlsOf } from '../../src/config/transport-security.js';

const BASE = { CASSANDRA_CONTACT_POINTS: 'h:9042', KAFKA_BROKERS: 'h:9092', AUTH_SECRET: 'transport-test-secret-0123456789abcdef' };
const config = (env: Record<string, string>) => loadConfig({ ...BASE, ...env });
const files: Record<string, string> = { '/etc/checkout/ca.pem': 'CA PEM', '/etc/checkout/cert.pem': 'CERT PEM', '/etc/checkout/key.pem': 'KEY PEM' };
const read = (path: string): Buffer => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return Buffer.from(text);
};

describe('transport security settings', () => {
  it('builds the kafkajs ssl and sasl options from KAFKA_TLS, KAFKA_TLS_CA_FILE and KAFKA_SASL_*', () => {
    const security = kafkaSecurityOf(config({
      KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/etc/checkout/ca.pem',
      KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'checkout', KAFKA_SASL_PASSWORD: 'pw',
    }), read);
    expect(security).toEqual({
      ssl: { ca: [Buffer.from('CA PEM')], rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'checkout', password: 'pw' },
    });
  });

  it('KAFKA_TLS without a CA file trusts the system\'s CAs', () => {
    expect(kafkaSecurityOf(config({ KAFKA_TLS: 'true' }), read)).toEqual({ ssl: true });
  });

  it('leaves kafkajs and cassandra-driver in plaintext without a login when nothing is set', () => {
    expect(kafkaSecurityOf(config({}), read)).toEqual({});
    expect(cassandraSecurityOf(config({}), read)).toEqual({});
    expect(serverTlsOf(config({}), read)).toBeUndefined();
  });

  it('builds the Cassandra login and TLS from CASSANDRA_USERNAME, CASSANDRA_PASSWORD, CASSANDRA_TLS and its CA file', () => {
    expect(cassandraSecurityOf(config({
      CASSANDRA_USERNAME: 'checkout', CASSANDRA_PASSWORD: 'pw', CASSANDRA_TLS: 'true', CASSANDRA_TLS_CA_FILE: '/etc/checkout/ca.pem',
    }), read)).toEqual({ credentials: { username: 'checkout', password: 'pw' }, tls: { ca: Buffer.from('CA PEM') } });
  });

  it('reads the server certificate and key from TLS_CERT_FILE and TLS_KEY_FILE', () => {
    expect(serverTlsOf(config({ TLS_CERT_FILE: '/etc/checkout/cert.pem', TLS_KEY_FILE: '/etc/checkout/key.pem' }), read))
      .toEqual({ cert: Buffer.from('CERT PEM'), key: Buffer.from('KEY PEM') });
  });

  it('a file that cannot be read is a ConfigError naming the variable', () => {
    expect(() => kafkaSecurityOf(config({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/nope.pem' }), read)).toThrow(ConfigError);
    expect(() => kafkaSecurityOf(config({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: '/nope.pem' }), read)).toThrow(/KAFKA_TLS_CA_FILE: cannot read \/nope\.pem \(ENOENT\)/);
  });

  it.each([
    [{ TLS_CERT_FILE: '/c.pem' }, /TLS_KEY_FILE: is required with TLS_CERT_FILE/],
    [{ CASSANDRA_PASSWORD: 'pw' }, /CASSANDRA_USERNAME: is required with CASSANDRA_PASSWORD/],
    [{ KAFKA_SASL_MECHANISM: 'plain' }, /KAFKA_SASL_MECHANISM: needs KAFKA_SASL_USERNAME/],
    [{ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, /KAFKA_SASL_USERNAME: needs KAFKA_SASL_MECHANISM/],
    [{ KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, /KAFKA_SASL_MECHANISM/],
    [{ KAFKA_TLS_CA_FILE: '/ca.pem' }, /KAFKA_TLS_CA_FILE: is set but KAFKA_TLS is not true/],
    [{ CASSANDRA_TLS: 'yes' }, /CASSANDRA_TLS/],
  ])('refuses an incomplete or invalid combination %o', (env, message) => {
    expect(() => config(env as Record<string, string>)).toThrow(message);
  });
});
