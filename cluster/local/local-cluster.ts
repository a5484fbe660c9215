import { mkdir } from 'node:fs/promises';
import { loadConfig, type Config } from '../../src/config/config.js';
import { cassandraSecurityOf, kafkaSecurityOf } from '../../src/config/transport-security.js';
import { projectPath } from '../../src/config/paths.js';
import type { Logger } from '../../src/observability/logger.js';
import { startLocalInfra, type LocalInfra } from './local-infra.js';
import { newAdminSecret } from './downstream/admin-service.js';
import { startServiceProcess, type ServiceProcess } from './service-process.js';
import { plannedTopics, type TopicPlan } from '../../src/messaging/topic-plan.js';

export interface ClusterNode {
  readonly id: string;
  readonly pool: 'main' | 'sandbox';
  /** The running process, or undefined while it is down. */
  process?: ServiceProcess;
  grpcAddress?: string;
  /** Public HTTP: websocket, /healthz. */
  httpAddress?: string;
  /** Admin HTTP (loopback): dashboard, /api, /metrics. */
  adminAddress?: string;
}

export interface LocalCluster {
  infra: LocalInfra;
  downstream: ServiceProcess;
  downstreamAddress: string;
  /** The downstream admin API's shared secret (the caller's DOWNSTREAM_ADMIN_SECRET, else a fresh one). */
  downstreamAdminSecret: string;
  nodes: ClusterNode[];
  /** The env every node gets (addresses, topics, timeouts). */
  env: Record<string, string>;
  config: Config;
  addNode(id: string, pool?: 'main' | 'sandbox'): Promise<ClusterNode>;
  /** SIGKILL, like a crash. */
  kill(node: ClusterNode): Promise<void>;
  /** SIGTERM: a graceful leave. */
  stopNode(node: ClusterNode): Promise<void>;
  restart(node: ClusterNode): Promise<void>;
  pause(node: ClusterNode): void;
  resume(node: ClusterNode): void;
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  nodes: number;
  sandboxNodes?: number;
  logger: Logger;
  /** Extra env for nodes (session timeouts, partitions, …) and the downstream process. */
  env?: Record<string, string>;
  downstreamLatency?: string;
  keyspace?: string;
  /** Where process logs go; default .run/cluster-<time>/. */
  logDir?: string;
  /** Existing clusters, as in production. */
  cassandraContactPoints?: string[];
  kafkaBrokers?: string[];
  provisionTopics?: (topics: TopicPlan[]) => Promise<void>;
  /** Extra `node` flags for the checkout nodes (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** IPv4 address Cassandra, the broker and the downstream services listen on (default loopback). */
  bindAddress?: string;
  /** How each checkout node is started: a command prefix (e.g. `ip netns exec <ns>`) and env of its own. */
  nodePlacement?(nodeId: string): NodePlacement;
}

export interface NodePlacement {
  commandPrefix?: string[];
  env?: Record<string, string>;
}

/**
 * A cluster on this machine is for development: without an AUTH_SECRET of the caller's, its nodes
 * run in dev mode and take the public dev secret (and warn that they do).
 */
function localDefaults(env: NodeJS.ProcessEnv): Record<string, string> {
  return env.AUTH_SECRET === undefined ? { CHECKOUT_DEV_MODE: 'true' } : {};
}

/**
 * A whole checkout cluster on this machine as real processes: Cassandra, the Kafka-protocol
 * broker, the downstream services and N nodes, each of which can be killed, paused, restarted.
 * Used by `npm start`, the cluster tests and the benchmarks.
 */
export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const devDefaults = localDefaults({ ...process.env, ...opts.env });
  const base = loadConfig({ CASSANDRA_CONTACT_POINTS: '127.0.0.1:1', KAFKA_BROKERS: '127.0.0.1:1', ...devDefaults, ...process.env, ...opts.env, ...(opts.keyspace ? { CASSANDRA_KEYSPACE: opts.keyspace } : {}) });
  const logDir = opts.logDir ?? projectPath('.run', `cluster-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(logDir, { recursive: true });
  const infra = await startLocalInfra({
    cassandraContactPoints: opts.cassandraContactPoints, kafkaBrokers: opts.kafkaBrokers, provisionTopics: opts.provisionTopics,
    keyspace: base.CASSANDRA_KEYSPACE, topics: plannedTopics(base), logger: opts.logger, bindAddress: opts.bindAddress,
    cassandraSecurity: cassandraSecurityOf(base), kafkaSecurity: kafkaSecurityOf(base),
  });
  const stops: Array<() => Promise<void>> = [() => infra.stop()];
  const downstreamAdminSecret = opts.env?.DOWNSTREAM_ADMIN_SECRET ?? process.env.DOWNSTREAM_ADMIN_SECRET ?? newAdminSecret();
  try {
    const downstream = await startServiceProcess({
      name: 'downstream', entry: 'dist/cluster/local/downstream/downstream-main.js', readyMessage: 'downstream ready', logFile: `${logDir}/downstream.log`,
      env: { ...process.env, ...opts.env, DOWNSTREAM_ADMIN_SECRET: downstreamAdminSecret, LOG_LEVEL: 'warn', ...(opts.downstreamLatency ? { DOWNSTREAM_LATENCY: opts.downstreamLatency } : {}), ...(opts.bindAddress ? { DOWNSTREAM_HOST: opts.bindAddress } : {}) },
    });
    stops.push(() => downstream.stop());
    const env: Record<string, string> = {
      KAFKA_SESSION_TIMEOUT_MS: '6000', KAFKA_HEARTBEAT_INTERVAL_MS: '500', LOG_LEVEL: 'info', ...devDefaults,
      ...stringEnv(process.env), ...opts.env,
      CASSANDRA_KEYSPACE: base.CASSANDRA_KEYSPACE,
      CASSANDRA_CONTACT_POINTS: infra.cassandraContactPoints.join(','),
      CASSANDRA_LOCAL_DC: infra.cassandraLocalDc,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      DOWNSTREAM_ADDRESS: String(downstream.ready.address),
      DOWNSTREAM_ADMIN_SECRET: downstreamAdminSecret,
    };
    const nodes: ClusterNode[] = [];

    const launch = async (node: ClusterNode) => {
      const placement = opts.nodePlacement?.(node.id) ?? {};
      const proc = await startServiceProcess({
        name: node.id, entry: 'dist/cluster/node-main.js', readyMessage: 'node ready', logFile: `${logDir}/${node.id}.log`,
        env: { ...env, NODE_ID: node.id, NODE_POOL: node.pool, ...placement.env }, nodeArgs: opts.nodeArgs, commandPrefix: placement.commandPrefix,
      });
      node.process = proc;
      node.grpcAddress = String(proc.ready.grpcAddress);
      node.httpAddress = String(proc.ready.httpAddress);
      node.adminAddress = String(proc.ready.adminAddress);
    };
    const down = async (node: ClusterNode, how: (p: ServiceProcess) => Promise<void>) => {
      if (node.process) await how(node.process);
      node.process = undefined;
    };
    const cluster: LocalCluster = {
      infra, downstream, downstreamAddress: String(downstream.ready.address), downstreamAdminSecret, nodes, env, config: base,
      async addNode(id, pool = 'main') {
        const node: ClusterNode = { id, pool };
        await launch(node);
        nodes.push(node);
        return node;
      },
      kill: (node) => down(node, (p) => p.kill()),
      stopNode: (node) => down(node, (p) => p.stop(20_000)),
      async restart(node) {
        await down(node, (p) => p.kill());
        await launch(node);
      },
      pause: (node) => node.process?.signal('SIGSTOP'),
      resume: (node) => node.process?.signal('SIGCONT'),
      async stop() {
        await Promise.all(nodes.map((n) => { n.process?.signal('SIGCONT'); return down(n, (p) => p.stop(10_000)); }));
        for (const s of stops.reverse()) await s().catch(() => undefined);
      },
    };
    // Nodes join together: each join makes the group wait out one rebalance, joining at once waits once.
    await Promise.all([
      ...Array.from({ length: opts.nodes }, (_, i) => cluster.addNode(`node-${i + 1}`)),
      ...Array.from({ length: opts.sandboxNodes ?? 0 }, (_, i) => cluster.addNode(`sandbox-${i + 1}`, 'sandbox')),
    ]);
    return cluster;
  } catch (err) {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    throw err;
  }
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
