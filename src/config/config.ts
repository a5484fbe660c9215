import { hostname } from 'node:os';
import { z } from 'zod';
import { DEFAULT_FALLBACK_SETTINGS, type FallbackSettings } from '../resilience/fallback-settings.js';

/** Raised when the environment does not describe a runnable node; the message says what to fix. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'expected host:port');
const list = (item: z.ZodString) =>
  z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)).pipe(z.array(item).min(1));
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const flag = z.enum(['true', 'false', '1', '0'], 'expected true, false, 1 or 0').transform((v) => v === 'true' || v === '1');
const secret = z.string().min(32, 'use at least 32 characters');
const keyId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, '1-64 characters of [A-Za-z0-9_.-]');

/** The journal layout a node uses when JOURNAL_MODE is unset. */
export const DEFAULT_JOURNAL_MODE: 'lwt' | 'fenced' | 'group' = 'fenced';

/**
 * The signing secret in the source, for local clusters only: anyone can read it and mint an admin
 * token, so a node takes it only with CHECKOUT_DEV_MODE set.
 */
export const DEV_AUTH_SECRET = 'dev-only-secret-change-me-0123456789abcdef';
const nonNegativeInt = z.coerce.number().int().min(0);

const schema = z.object({
  NODE_ID: z.string().min(1).max(64).regex(/^[\w.-]+$/).default(`${hostname()}-${process.pid}`),
  NODE_POOL: z.enum(['main', 'sandbox']).default('main'),
  GRPC_HOST: z.string().default('127.0.0.1'),
  GRPC_PORT: port.default(0),
  /** The public HTTP listener (on GRPC_HOST): the websocket at /ws and /healthz. */
  HTTP_PORT: port.default(0),
  /** PEM certificate chain and key: gRPC and the public HTTP listener (wss, /healthz) serve TLS. Unset: plaintext. */
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  /** The admin HTTP listener: dashboard, /api (token required) and /metrics. Loopback unless an operator opens it. */
  ADMIN_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  ADMIN_HTTP_PORT: port.default(0),
  /** Websocket connections a node holds at once; more are refused with 503. */
  WS_MAX_CONNECTIONS: positiveInt.default(10_000),
  /** Websocket connections one consumer (token subject) may hold on a node. */
  WS_MAX_CONNECTIONS_PER_CONSUMER: positiveInt.default(20),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),

  CASSANDRA_CONTACT_POINTS: list(hostPort),
  CASSANDRA_LOCAL_DC: z.string().default('datacenter1'),
  CASSANDRA_KEYSPACE: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'lower-case letters, digits, _').default('checkout'),

  /** Cassandra login (PasswordAuthenticator); both or neither. */
  CASSANDRA_USERNAME: z.string().min(1).optional(),
  CASSANDRA_PASSWORD: z.string().min(1).optional(),
  /** TLS to Cassandra (client_encryption_options); the server is checked against CASSANDRA_TLS_CA_FILE, else the system's CAs. */
  CASSANDRA_TLS: flag.default(false),
  CASSANDRA_TLS_CA_FILE: z.string().min(1).optional(),

  KAFKA_BROKERS: list(hostPort),
  /** TLS to the brokers; checked against KAFKA_TLS_CA_FILE, else the system's CAs. */
  KAFKA_TLS: flag.default(false),
  KAFKA_TLS_CA_FILE: z.string().min(1).optional(),
  /** SASL login to the brokers; a mechanism needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD. */
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  KAFKA_CLIENT_ID: z.string().default('checkout'),
  KAFKA_COMMANDS_TOPIC: z.string().default('order-commands'),
  KAFKA_EVENTS_TOPIC: z.string().default('order-events'),
  KAFKA_SANDBOX_COMMANDS_TOPIC: z.string().default('order-commands-sandbox'),
  /** Commands that cannot be read (either pool's), with the reason in headers. */
  KAFKA_COMMANDS_DLQ_TOPIC: z.string().default('order-commands-dlq'),
  KAFKA_COMMAND_PARTITIONS: positiveInt.max(1024).default(12),
  KAFKA_SESSION_TIMEOUT_MS: positiveInt.default(10_000),
  KAFKA_HEARTBEAT_INTERVAL_MS: positiveInt.default(1_000),
  /** How long a fetch waits for data. Kafka answers as soon as data arrives; a broker that does not long-poll waits it out, so local runs lower it. */
  KAFKA_FETCH_MAX_WAIT_MS: positiveInt.default(100),
  /** Messages (commands, status changes) one Kafka request may carry; 1 = a request each. */
  KAFKA_SEND_MAX_BATCH: positiveInt.default(500),
  /** The status fanout commits its offsets after every batch (as before) instead of at most once a second; for A/B runs. */
  KAFKA_STATUS_COMMIT_EVERY_BATCH: z.enum(['0', '1']).default('0').transform((v) => v === '1'),
  /** How long a starting node waits for Kafka before giving up with a clear message. */
  KAFKA_CONNECT_TIMEOUT_MS: positiveInt.default(15_000),

  /** JSON rules sending matching orders to the sandbox pool (cluster/routing/sandbox-rules.ts); re-read on change. Unset: everything main. */
  SANDBOX_RULES_FILE: z.string().min(1).optional(),

  DOWNSTREAM_ADDRESS: hostPort.optional(),
  /** The downstream services' admin secret: the dashboard's fault injection needs it. */
  DOWNSTREAM_ADMIN_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
  /** A local cluster (npm start, tests): allows the dev secret when AUTH_SECRET is unset; the node logs a warning. */
  CHECKOUT_DEV_MODE: flag.default(false),
  /** Signs and verifies tokens. Required unless CHECKOUT_DEV_MODE; never the dev secret outside it. */
  AUTH_SECRET: secret.optional(),
  /** The key id (`kid` header) naming AUTH_SECRET; tokens without a kid are checked against AUTH_SECRET. */
  AUTH_KEY_ID: keyId.optional(),
  /** During a rotation: the secret being retired and its key id; tokens naming that kid still verify. */
  AUTH_PREVIOUS_SECRET: secret.optional(),
  AUTH_PREVIOUS_KEY_ID: keyId.optional(),
  /** Oldest token accepted (by `iat`), whatever its `exp`. */
  AUTH_MAX_TOKEN_AGE_S: positiveInt.max(30 * 24 * 3600).default(24 * 3600),
  /** Clock skew forgiven on `exp` and `iat`. */
  AUTH_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(30),
  /** Verified tokens remembered until they expire, so a repeated token skips the HMAC check; 0 = check every call. */
  AUTH_VERIFIED_TOKENS_MAX: z.coerce.number().int().min(0).max(1_000_000).default(10_000),

  /**
   * `fenced` (default): a per-order journal whose first event is conditional; later ones are
   * plain inserts checked by a fence read (src/storage/fenced-journal-engine.ts): one Paxos round
   * per order. `lwt`: a conditional insert per event into the per-order journal. `group`: group
   * commit into each shard's log, one conditional batch fenced by the shard owner's epoch
   * (src/storage/shard-log.ts).
   */
  JOURNAL_MODE: z.enum(['lwt', 'fenced', 'group']).default(DEFAULT_JOURNAL_MODE),
  /** group mode: flushes in flight at once over all of a node's shard logs; 0 = one per shard. Fewer = bigger batches, fewer Paxos rounds. */
  JOURNAL_FLUSHES_IN_FLIGHT: z.coerce.number().int().min(0).default(0),
  SNAPSHOT_EVERY: positiveInt.default(50),
  /** How long a finished order's actor stays in memory, answering late duplicates without a journal replay. */
  ORDER_LINGER_MS: positiveInt.default(30_000),
  /** An unfinished order's status view older than this is checked against its journal when asked for (src/status/order-lookup.ts). */
  STATUS_VIEW_TRUST_MS: positiveInt.default(5_000),
  /** Leave finished step runners alive until their order stops (the old behaviour); for A/B runs. */
  STEP_RUNNERS_KEPT: z.enum(['0', '1']).default('0').transform((v) => v === '1'),
  /** Each step declares its retry budget (actors/order/checkout-flow.ts); these replace it for every step at once. */
  STEP_MAX_ATTEMPTS: positiveInt.optional(),
  STEP_BACKOFF_BASE_MS: positiveInt.optional(),
  STEP_BACKOFF_MAX_MS: positiveInt.optional(),
  DOWNSTREAM_DEADLINE_MS: positiveInt.default(2_000),
  IDEMPOTENCY_TTL_S: positiveInt.default(24 * 3600),

  /** A node that cannot write to Cassandra leaves the order group so others run its shards (cluster/storage-watchdog.ts); 'off' disables it. */
  STORAGE_WATCHDOG: z.enum(['on', 'off']).default('on'),
  /** How often the watchdog writes its probe row, and how long one probe may take. */
  STORAGE_WATCHDOG_INTERVAL_MS: positiveInt.default(1_000),
  STORAGE_WATCHDOG_TIMEOUT_MS: positiveInt.default(1_500),
  /** Consecutive failed probes before the node leaves the group; consecutive good ones before it rejoins. */
  STORAGE_WATCHDOG_FAILURES: positiveInt.default(3),
  STORAGE_WATCHDOG_RECOVERIES: positiveInt.default(3),

  /** Default fallbacks (src/resilience/fallback-settings.ts; the README's policy table): on/off and their limits. */
  FALLBACK_PROMOTIONS: flag.default(true),
  FALLBACK_DELIVERY_QUOTE: flag.default(true),
  FALLBACK_DELIVERY_FEE_CAP_MINOR: nonNegativeInt.default(DEFAULT_FALLBACK_SETTINGS.deliveryQuote.feeCapMinor),
  FALLBACK_FRAUD: flag.default(true),
  FALLBACK_FRAUD_MAX_ORDER_MINOR: nonNegativeInt.default(DEFAULT_FALLBACK_SETTINGS.fraud.maxOrderMinor),
  FALLBACK_MERCHANT_PHONE: flag.default(true),
});

/** The validated environment; AUTH_SECRET is always set (the dev secret only in dev mode). */
export type Config = Omit<z.output<typeof schema>, 'AUTH_SECRET'> & { AUTH_SECRET: string };

/** Reads and validates the node's configuration; every problem is listed, by variable name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  if (result.success) {
    const problems = [...secretProblems(result.data), ...transportProblems(result.data)];
    if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    return { ...result.data, AUTH_SECRET: result.data.AUTH_SECRET ?? DEV_AUTH_SECRET };
  }
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const item = issue.path.length > 1 ? ` (item ${Number(issue.path[1]) + 1})` : '';
    const missing = issue.code === 'invalid_type' && env[name] === undefined;
    return `  ${name}: ${missing ? 'is required' : `${issue.message}${item}`}${missing ? hintFor(name) : ''}`;
  });
  throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
}

/** The token secrets' rules that span variables: no public secret outside dev mode, a rotation names both keys. */
function secretProblems(c: z.output<typeof schema>): string[] {
  const problems: string[] = [];
  if (!c.CHECKOUT_DEV_MODE) {
    if (c.AUTH_SECRET === undefined) problems.push('AUTH_SECRET: is required (32+ random characters, e.g. `openssl rand -base64 48`); a local cluster may set CHECKOUT_DEV_MODE=true instead');
    if (c.AUTH_SECRET === DEV_AUTH_SECRET || c.AUTH_PREVIOUS_SECRET === DEV_AUTH_SECRET) problems.push('AUTH_SECRET: is the public dev secret, which anyone can sign admin tokens with; set a secret of your own (or CHECKOUT_DEV_MODE=true on a local cluster)');
  }
  if (c.AUTH_PREVIOUS_SECRET !== undefined) {
    if (c.AUTH_PREVIOUS_KEY_ID === undefined || c.AUTH_KEY_ID === undefined) problems.push('AUTH_PREVIOUS_SECRET: needs AUTH_PREVIOUS_KEY_ID and AUTH_KEY_ID, so a token says which secret signed it');
    else if (c.AUTH_PREVIOUS_KEY_ID === c.AUTH_KEY_ID) problems.push('AUTH_PREVIOUS_KEY_ID: must differ from AUTH_KEY_ID');
  } else if (c.AUTH_PREVIOUS_KEY_ID !== undefined) problems.push('AUTH_PREVIOUS_KEY_ID: is set without AUTH_PREVIOUS_SECRET');
  return problems;
}

/** Settings that only make sense together: a certificate and its key, a user and a password. */
function transportProblems(c: z.output<typeof schema>): string[] {
  const problems: string[] = [];
  const pair = (a: keyof typeof c, b: keyof typeof c) => {
    if ((c[a] === undefined) !== (c[b] === undefined)) problems.push(`${c[a] === undefined ? a : b}: is required with ${c[a] === undefined ? b : a}`);
  };
  pair('TLS_CERT_FILE', 'TLS_KEY_FILE');
  pair('CASSANDRA_USERNAME', 'CASSANDRA_PASSWORD');
  pair('KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD');
  if (c.CASSANDRA_TLS_CA_FILE !== undefined && !c.CASSANDRA_TLS) problems.push('CASSANDRA_TLS_CA_FILE: is set but CASSANDRA_TLS is not true');
  if (c.KAFKA_TLS_CA_FILE !== undefined && !c.KAFKA_TLS) problems.push('KAFKA_TLS_CA_FILE: is set but KAFKA_TLS is not true');
  if (c.KAFKA_SASL_MECHANISM !== undefined && c.KAFKA_SASL_USERNAME === undefined) problems.push('KAFKA_SASL_MECHANISM: needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
  if (c.KAFKA_SASL_MECHANISM === undefined && c.KAFKA_SASL_USERNAME !== undefined) problems.push('KAFKA_SASL_USERNAME: needs KAFKA_SASL_MECHANISM (plain, scram-sha-256 or scram-sha-512)');
  return problems;
}

/** The fallbacks' switches and limits as the order runtime and the pricer take them. */
export function fallbackSettingsOf(config: Config): FallbackSettings {
  return {
    promotions: { enabled: config.FALLBACK_PROMOTIONS },
    deliveryQuote: { enabled: config.FALLBACK_DELIVERY_QUOTE, feeCapMinor: config.FALLBACK_DELIVERY_FEE_CAP_MINOR },
    fraud: { enabled: config.FALLBACK_FRAUD, maxOrderMinor: config.FALLBACK_FRAUD_MAX_ORDER_MINOR },
    merchantChannel: { enabled: config.FALLBACK_MERCHANT_PHONE },
  };
}

function hintFor(name: string): string {
  if (name === 'CASSANDRA_CONTACT_POINTS') return ' (e.g. 10.0.0.5:9042,10.0.0.6:9042; `npm start` sets it for its own Cassandra)';
  if (name === 'KAFKA_BROKERS') return ' (e.g. kafka-1:9092,kafka-2:9092; `npm start` sets it for its own broker)';
  return '';
}
