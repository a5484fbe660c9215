import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import { ConfigError, type Config } from './config.js';

/** Reads a file a setting names; the error names the setting, not just the path. */
export type ReadSettingFile = (path: string) => Buffer;

const readNamed = (read: ReadSettingFile, variable: string, path: string): Buffer => {
  try {
    return read(path);
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
};

/** The certificate and key the node's gRPC server and public HTTP listener serve, or undefined for plaintext. */
export function serverTlsOf(config: Config, read: ReadSettingFile = readFileSync): { cert: Buffer; key: Buffer } | undefined {
  if (config.TLS_CERT_FILE === undefined || config.TLS_KEY_FILE === undefined) return undefined;
  return { cert: readNamed(read, 'TLS_CERT_FILE', config.TLS_CERT_FILE), key: readNamed(read, 'TLS_KEY_FILE', config.TLS_KEY_FILE) };
}

/** Login and TLS for cassandra-driver (`authProvider`, `sslOptions` in createCassandraClient). */
export function cassandraSecurityOf(config: Config, read: ReadSettingFile = readFileSync): {
  credentials?: { username: string; password: string }; tls?: { ca?: Buffer };
} {
  return {
    ...(config.CASSANDRA_USERNAME !== undefined && config.CASSANDRA_PASSWORD !== undefined
      ? { credentials: { username: config.CASSANDRA_USERNAME, password: config.CASSANDRA_PASSWORD } } : {}),
    ...(config.CASSANDRA_TLS
      ? { tls: config.CASSANDRA_TLS_CA_FILE === undefined ? {} : { ca: readNamed(read, 'CASSANDRA_TLS_CA_FILE', config.CASSANDRA_TLS_CA_FILE) } } : {}),
  };
}

/** TLS and SASL for kafkajs (`ssl`, `sasl` of the client). */
export function kafkaSecurityOf(config: Config, read: ReadSettingFile = readFileSync): { ssl?: ConnectionOptions | true; sasl?: SASLOptions } {
  const ssl: ConnectionOptions | true | undefined = !config.KAFKA_TLS ? undefined
    : config.KAFKA_TLS_CA_FILE === undefined ? true
    : { ca: [readNamed(read, 'KAFKA_TLS_CA_FILE', config.KAFKA_TLS_CA_FILE)], rejectUnauthorized: true };
  const sasl: SASLOptions | undefined = config.KAFKA_SASL_MECHANISM === undefined || config.KAFKA_SASL_USERNAME === undefined || config.KAFKA_SASL_PASSWORD === undefined
    ? undefined
    : saslOf(config.KAFKA_SASL_MECHANISM, config.KAFKA_SASL_USERNAME, config.KAFKA_SASL_PASSWORD);
  return { ...(ssl === undefined ? {} : { ssl }), ...(sasl === undefined ? {} : { sasl }) };
}

// Spelled out per mechanism: kafkajs types each one as its own literal.
function saslOf(mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', username: string, password: string): SASLOptions {
  switch (mechanism) {
    case 'plain': return { mechanism, username, password };
    case 'scram-sha-256': return { mechanism, username, password };
    case 'scram-sha-512': return { mechanism, username, password };
  }
}
