import * as grpc from '@grpc/grpc-js';
import { startCheckoutNode, type CheckoutNode } from '../../cluster/checkout-node.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createTokenService } from '../../src/edge/auth.js';
import type { CheckoutServiceClient } from '../../src/generated/checkout/v1/CheckoutService.js';
import { createStatusCodec, STATUS_DETAILS_KEY, type DecodedStatus } from '../../src/grpc/status-details.js';
import { silentLogger } from '../../src/observability/logger.js';
import { checkoutClient } from '../../src/clients/checkout-client.js';
import { cassandraTestInfra } from './cassandra.js';
import { startHarness, type Harness } from './downstream.js';
import { schemaKeyspace } from './journal.js';
import { createTestTopic, kafkaTestInfra, uniqueName } from './kafka.js';

export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';

export interface TestCluster {
  downstream: Harness;
  keyspace: Awaited<ReturnType<typeof schemaKeyspace>>;
  env: Record<string, string>;
  nodes: CheckoutNode[];
  startNode(nodeId: string, overrides?: Record<string, string>): Promise<CheckoutNode>;
  /** A CheckoutService client for a node, authenticated as `consumerId` (no token when undefined). */
  client(node: CheckoutNode, consumerId?: string, opts?: { admin?: boolean }): Promise<CheckoutServiceClient>;
  token(consumerId: string, admin?: boolean): Promise<string>;
  /** A read-only operator token (the dashboard's API). */
  operatorToken(subject: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Checkout nodes running in this process against the run's real Cassandra (a fresh keyspace) and
 * Kafka-protocol broker (fresh topics, so no other test's traffic), with an in-process downstream.
 */
export async function startTestCluster(opts: { partitions?: number; downstream?: Parameters<typeof startHarness>[0]; env?: Record<string, string> } = {}): Promise<TestCluster> {
  const partitions = opts.partitions ?? 6;
  const keyspace = await schemaKeyspace('edge');
  const downstream = await startHarness(opts.downstream ?? {});
  const commands = await createTestTopic('commands', partitions);
  const sandbox = await createTestTopic('sandbox', 2);
  const events = await createTestTopic('events', 3);
  const deadLetters = await createTestTopic('dlq', 1);
  const env: Record<string, string> = {
    CASSANDRA_CONTACT_POINTS: cassandraTestInfra().contactPoints.join(','),
    CASSANDRA_KEYSPACE: keyspace.keyspace,
    KAFKA_BROKERS: kafkaTestInfra().brokers.join(','),
    KAFKA_COMMANDS_TOPIC: commands, KAFKA_SANDBOX_COMMANDS_TOPIC: sandbox, KAFKA_EVENTS_TOPIC: events, KAFKA_COMMANDS_DLQ_TOPIC: deadLetters,
    KAFKA_COMMAND_PARTITIONS: String(partitions),
    KAFKA_CLIENT_ID: uniqueName('client'),
    KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_HEARTBEAT_INTERVAL_MS: '500',
    DOWNSTREAM_ADDRESS: downstream.server.address, DOWNSTREAM_ADMIN_SECRET: downstream.adminSecret,
    AUTH_SECRET: TEST_SECRET,
    STEP_BACKOFF_BASE_MS: '10', STEP_BACKOFF_MAX_MS: '50',
    LOG_LEVEL: 'silent',
    // Suites run in either journal mode: JOURNAL_MODE=group npx vitest run … (process clusters inherit it too).
    ...(process.env.JOURNAL_MODE ? { JOURNAL_MODE: process.env.JOURNAL_MODE } : {}),
    ...opts.env,
  };
  const tokens = createTokenService({ secret: TEST_SECRET });
  const nodes: CheckoutNode[] = [];
  const clients: grpc.Client[] = [];
  return {
    downstream, keyspace, env, nodes,
    async startNode(nodeId, overrides = {}) {
      const config: Config = loadConfig({ ...env, NODE_ID: nodeId, ...overrides });
      const node = await startCheckoutNode(config, silentLogger());
      nodes.push(node);
      return node;
    },
    token: (consumerId, admin = false) => tokens.mint(consumerId, { role: admin ? 'admin' : 'consumer' }),
    operatorToken: (subject) => tokens.mint(subject, { role: 'operator' }),
    async client(node, consumerId, o = {}) {
      const token = consumerId ? await tokens.mint(consumerId, { role: o.admin ? 'admin' : 'consumer' }) : undefined;
      const client = checkoutClient(node.grpcAddress, token);
      clients.push(client);
      return client;
    },
    async stop() {
      for (const c of clients) c.close();
      for (const n of nodes.reverse()) await n.stop().catch(() => undefined);
      await downstream.stop();
      await keyspace.drop();
    },
  };
}


const codec = createStatusCodec();

/** The rich status of a failed call (decoded google.rpc details). */
export function richStatus(err: unknown): DecodedStatus & { code: number } {
  const e = err as grpc.ServiceError;
  const bin = e.metadata?.get(STATUS_DETAILS_KEY)[0];
  const decoded = bin instanceof Buffer ? codec.decode(bin) : { code: e.code, message: e.details };
  return { ...decoded, code: e.code };
}

/** Promisified unary call, with a deadline (10 s unless given) so a test never hangs on a call. */
export function unary<Req, Res>(fn: (req: Req, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => unknown, req: Req, deadlineMs = 10_000): Promise<Res> {
  return new Promise((resolve, reject) => { fn(req, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res as Res))); });
}
