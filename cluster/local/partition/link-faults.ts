import { hostCommand, inNamespace } from './host-command.js';
import type { NetworkNode, PartitionNetwork } from './partition-network.js';

/*
 * Per-node network faults, applied inside the node's namespace (iptables) and on both ends of
 * its veth pair (tc netem). A cut drops packets silently, like a broken link, never refuses
 * them: the node learns of it only through its own timeouts.
 */

/** What a node can be cut from: the services (by their gateway ports) or its own clients. */
export type LinkTarget = 'kafka' | 'cassandra' | 'downstream' | 'clients';
/** `out`: the node's packets to the target are lost; `in`: the target's packets to the node. */
export type LinkDirection = 'both' | 'out' | 'in';

export interface LinkEndpoints {
  /** Ports on the gateway, per service. */
  kafka: number[];
  cassandra: number[];
  downstream: number[];
  /** The node's own listening ports (gRPC, HTTP), per node id. */
  clientPorts(nodeId: string): number[];
}

export interface LinkImpairment {
  delayMs: number;
  jitterMs?: number;
  lossPercent?: number;
}

export interface LinkFaults {
  cut(nodeId: string, targets: readonly LinkTarget[], direction?: LinkDirection): Promise<void>;
  /**
   * tc netem on both ends of the node's veth pair. A kernel without sch_netem (some VMs) gets
   * the loss alone, from iptables' statistic match; the answer says which was applied.
   */
  impair(nodeId: string, impairment: LinkImpairment): Promise<string>;
  /** Removes every cut and impairment of the node. */
  heal(nodeId: string): Promise<void>;
  healAll(): Promise<void>;
  /** What is in force now, per node (for logs and schedules). */
  active(): Record<string, string[]>;
}

const CHAIN_IN = 'PARTITION_IN';
const CHAIN_OUT = 'PARTITION_OUT';

export function createLinkFaults(network: PartitionNetwork, endpoints: LinkEndpoints): LinkFaults {
  const prepared = new Set<string>();
  const state = new Map<string, string[]>();

  const prepare = async (node: NetworkNode) => {
    if (prepared.has(node.id)) return;
    for (const [chain, hook] of [[CHAIN_IN, 'INPUT'], [CHAIN_OUT, 'OUTPUT']] as const) {
      await inNamespace(node.namespace, 'iptables', ['-N', chain]);
      await inNamespace(node.namespace, 'iptables', ['-I', hook, '1', '-j', chain]);
    }
    prepared.add(node.id);
  };
  const drop = (node: NetworkNode, chain: string, match: string[]) => inNamespace(node.namespace, 'iptables', ['-A', chain, '-p', 'tcp', ...match, '-j', 'DROP']);
  const record = (nodeId: string, what: string) => state.set(nodeId, [...(state.get(nodeId) ?? []), what]);

  const faults: LinkFaults = {
    async cut(nodeId, targets, direction = 'both') {
      const node = network.node(nodeId);
      await prepare(node);
      for (const target of targets) {
        if (target === 'clients') {
          for (const port of endpoints.clientPorts(nodeId)) {
            if (direction !== 'out') await drop(node, CHAIN_IN, ['--dport', String(port)]);
            if (direction !== 'in') await drop(node, CHAIN_OUT, ['--sport', String(port)]);
          }
        } else {
          for (const port of endpoints[target]) {
            if (direction !== 'in') await drop(node, CHAIN_OUT, ['-d', network.gateway, '--dport', String(port)]);
            if (direction !== 'out') await drop(node, CHAIN_IN, ['-s', network.gateway, '--sport', String(port)]);
          }
        }
        record(nodeId, `cut ${target} ${direction}`);
      }
    },
    async impair(nodeId, { delayMs, jitterMs = 0, lossPercent = 0 }) {
      const node = network.node(nodeId);
      // Half the delay each way, so a round trip gets the whole of it; loss applies on both ends.
      const netem = ['netem', 'delay', `${delayMs / 2}ms`, `${jitterMs / 2}ms`, 'loss', `${lossPercent}%`];
      let applied = `netem ${delayMs}±${jitterMs} ms, ${lossPercent} % loss each way`;
      try {
        await inNamespace(node.namespace, 'tc', ['qdisc', 'replace', 'dev', node.device, 'root', ...netem]);
        await hostCommand('tc', ['qdisc', 'replace', 'dev', node.peerDevice, 'root', ...netem]);
      } catch (err) {
        if (!/qdisc kind is unknown/.test((err as Error).message)) throw err;
        await prepare(node);
        const probability = String(lossPercent / 100);
        for (const chain of [CHAIN_IN, CHAIN_OUT]) {
          await inNamespace(node.namespace, 'iptables', ['-A', chain, '-m', 'statistic', '--mode', 'random', '--probability', probability, '-j', 'DROP']);
        }
        applied = `${lossPercent} % loss each way (iptables); no delay: this kernel has no sch_netem`;
      }
      record(nodeId, `impair: ${applied}`);
      return applied;
    },
    async heal(nodeId) {
      const node = network.node(nodeId);
      if (prepared.has(nodeId)) {
        await inNamespace(node.namespace, 'iptables', ['-F', CHAIN_IN]);
        await inNamespace(node.namespace, 'iptables', ['-F', CHAIN_OUT]);
      }
      await inNamespace(node.namespace, 'tc', ['qdisc', 'del', 'dev', node.device, 'root']).catch(() => undefined);
      await hostCommand('tc', ['qdisc', 'del', 'dev', node.peerDevice, 'root']).catch(() => undefined);
      state.delete(nodeId);
    },
    async healAll() {
      for (const nodeId of [...state.keys()]) await faults.heal(nodeId);
    },
    active: () => Object.fromEntries(state),
  };
  return faults;
}
