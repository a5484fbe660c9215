import { startLocalCluster, type LocalCluster, type LocalClusterOptions } from '../local-cluster.js';
import { createLinkFaults, type LinkFaults } from './link-faults.js';
import { createPartitionNetwork, type PartitionNetwork } from './partition-network.js';

export interface PartitionCluster {
  cluster: LocalCluster;
  network: PartitionNetwork;
  faults: LinkFaults;
  /** Heals, stops every process, then removes the namespaces and the bridge. */
  stop(): Promise<void>;
}

export type PartitionClusterOptions = Omit<LocalClusterOptions, 'bindAddress' | 'nodePlacement' | 'cassandraContactPoints' | 'kafkaBrokers' | 'provisionTopics' | 'sandboxNodes'>;

const portOf = (address: string | undefined) => Number(address?.split(':').at(-1));

/**
 * A local cluster whose checkout nodes each run in a network namespace of their own, so links
 * can fail per node while processes run on: Cassandra, the broker and the downstream services
 * of this cluster listen on the network's gateway address, which every namespace reaches.
 */
export async function startPartitionCluster(opts: PartitionClusterOptions): Promise<PartitionCluster> {
  const network = await createPartitionNetwork();
  try {
    for (let i = 1; i <= opts.nodes; i++) await network.addNode(`node-${i}`);
    const cluster = await startLocalCluster({
      ...opts,
      bindAddress: network.gateway,
      nodePlacement: (nodeId) => {
        const node = network.node(nodeId);
        // Both listeners on the namespace's address: loopback inside it is out of everyone's reach.
        return { commandPrefix: node.exec, env: { GRPC_HOST: node.address, ADMIN_HTTP_HOST: node.address } };
      },
    });
    const faults = createLinkFaults(network, {
      kafka: cluster.infra.kafkaBrokers.map(portOf),
      cassandra: cluster.infra.cassandraContactPoints.map(portOf),
      downstream: [portOf(cluster.downstreamAddress)],
      clientPorts: (nodeId) => {
        const node = cluster.nodes.find((n) => n.id === nodeId);
        return [portOf(node?.grpcAddress), portOf(node?.httpAddress)].filter((p) => Number.isInteger(p) && p > 0);
      },
    });
    return {
      cluster, network, faults,
      async stop() {
        await faults.healAll().catch(() => undefined);
        await cluster.stop();
        await network.destroy();
      },
    };
  } catch (err) {
    await network.destroy();
    throw err;
  }
}
