import { auth, Client, errors, policies, types } from 'cassandra-driver';
import { retry, type BackoffPolicy } from '../resilience/retry.js';

/** The slice of a logger this adapter uses; pino and console both fit. */
export interface CassandraLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface CassandraClientConfig {
  /** `host` or `host:port` entries, e.g. from CASSANDRA_CONTACT_POINTS. */
  contactPoints: string[];
  /** Requests stay in this datacenter; a single local node's is `datacenter1`. */
  localDataCenter: string;
  keyspace?: string;
  logger?: CassandraLogger;
  /** Defaults: 5 s to open a connection (and get the CQL handshake), 12 s per request. */
  timeouts?: { connectMs?: number; requestMs?: number };
  /** A login for a cluster with PasswordAuthenticator. */
  credentials?: { username: string; password: string };
  /** TLS to every node; `ca` (PEM) replaces the system's CAs. The node's certificate is always verified. */
  tls?: { ca?: Buffer };
}

/**
 * A driver client for the service's Cassandra. Not connected yet: call `connectWithRetry` so an
 * unreachable cluster becomes one actionable error instead of a driver stack.
 */
export function createCassandraClient(config: CassandraClientConfig): Client {
  if (config.contactPoints.length === 0) throw new Error('createCassandraClient: contactPoints is empty');
  const port = sharedPort(config.contactPoints);
  const client = new Client({
    contactPoints: config.contactPoints,
    localDataCenter: config.localDataCenter,
    keyspace: config.keyspace,
    // Cassandra 2.1 speaks v3 at most; capping avoids a failed v4 handshake on every connect.
    protocolOptions: { maxVersion: 3, ...(port === undefined ? {} : { port }) },
    pooling: {
      // v3 multiplexes up to 32k requests per connection; two connections spread socket work.
      coreConnectionsPerHost: { [types.distance.local]: 2, [types.distance.remote]: 1 },
      maxRequestsPerConnection: 2048,
      heartBeatInterval: 30_000,
    },
    socketOptions: {
      connectTimeout: config.timeouts?.connectMs ?? 5_000,
      // Above the server's own request timeouts, so a slow write surfaces as Cassandra's
      // WriteTimeout (which says what was applied) rather than a blind client-side timeout.
      readTimeout: config.timeouts?.requestMs ?? 12_000,
      keepAlive: true,
      tcpNoDelay: true,
    },
    policies: {
      // A node that went away is retried after 0.5 s, 1 s, 2 s … at most every 5 s: a restarted node is back in use within seconds.
      reconnection: new policies.reconnection.ExponentialReconnectionPolicy(500, 5_000, false),
    },
    ...(config.credentials ? { authProvider: new auth.PlainTextAuthProvider(config.credentials.username, config.credentials.password) } : {}),
    ...(config.tls ? { sslOptions: { rejectUnauthorized: true, ...(config.tls.ca ? { ca: [config.tls.ca] } : {}) } } : {}),
    // bigint columns read as native BigInt (and accept it), not the driver's Long class.
    encoding: { useBigIntAsLong: true },
    queryOptions: {
      consistency: types.consistencies.localQuorum,
      serialConsistency: types.consistencies.localSerial,
      // Prepared statements carry the column types: numbers bind as int/bigint, not double.
      prepare: true,
    },
  });
  const logger = config.logger;
  if (logger !== undefined) {
    client.on('log', (level: string, className: string, message: string) => {
      if (level === 'warning' || level === 'error') logger.warn(`cassandra-driver ${className}: ${message}`);
    });
  }
  return client;
}

export interface ConnectRetryOptions {
  /** Total connect attempts, at least 1. */
  attempts: number;
  /** Wait before retry n (1-based) is `initialMs * 2^(n-1)`, capped at `maxMs`. */
  backoff: BackoffPolicy;
}

/** No host in `contactPoints` answered. Carries what the operator needs, nothing to parse. */
export class CassandraUnreachableError extends Error {
  override readonly name = 'CassandraUnreachableError';

  constructor(
    readonly contactPoints: readonly string[],
    readonly attempts: number,
    readonly lastError: string,
  ) {
    super(
      `Cannot reach Cassandra at ${contactPoints.join(', ')} after ${attempts} attempt(s) ` +
        `(last error: ${lastError}). Point the service at a running cluster with ` +
        `CASSANDRA_CONTACT_POINTS=host:port[,host:port] (and CASSANDRA_LOCAL_DC), or leave it unset ` +
        `to let the project start its own local Cassandra.`,
    );
    // A configuration problem: the driver's stack would only bury the message.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * Connects, retrying with exponential backoff while no host can be reached (a cluster still
 * starting, a network blip). Errors retrying cannot fix — bad credentials, a missing keyspace —
 * are thrown at once, unchanged.
 */
export async function connectWithRetry(client: Client, { attempts, backoff }: ConnectRetryOptions): Promise<void> {
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be >= 1, got ${attempts}`);
  const result = await retry(() => client.connect(), { maxAttempts: attempts, backoff }, { retriable: isUnreachable });
  if (result.ok) return;
  const err = (result as { error: unknown }).error;
  if (!isUnreachable(err)) throw err;
  throw new CassandraUnreachableError(contactPointsOf(client, err), attempts, firstCause(err));
}

function isUnreachable(err: unknown): err is errors.NoHostAvailableError {
  if (!(err instanceof errors.NoHostAvailableError)) return false;
  return innerErrors(err).every((inner) => !(inner instanceof errors.AuthenticationError || inner instanceof errors.ResponseError));
}

function innerErrors(err: errors.NoHostAvailableError): unknown[] {
  const inner: unknown = err.innerErrors;
  return inner !== null && typeof inner === 'object' ? Object.values(inner) : [];
}

function firstCause(err: errors.NoHostAvailableError): string {
  const first = innerErrors(err)[0];
  return first instanceof Error ? first.message : err.message;
}

/** The configured contact points (the driver keeps its options, untyped, on the client). */
function contactPointsOf(client: Client, err: errors.NoHostAvailableError): string[] {
  const configured: unknown = (client as unknown as { options?: { contactPoints?: unknown } }).options?.contactPoints;
  if (Array.isArray(configured) && configured.length > 0) return configured.map(String);
  const tried: unknown = err.innerErrors;
  return tried !== null && typeof tried === 'object' ? Object.keys(tried) : ['(no contact points)'];
}

/** The port every contact point names, if they agree: the driver uses it for discovered peers. */
function sharedPort(contactPoints: readonly string[]): number | undefined {
  const ports = new Set(contactPoints.map((point) => /^(?:\[[^\]]+\]|[^:]+):(\d+)$/.exec(point)?.[1]));
  const [only] = [...ports];
  return ports.size === 1 && only !== undefined ? Number(only) : undefined;
}
