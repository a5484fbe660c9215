import { randomInt } from 'node:crypto';
import { hostCommand, hostCommandSync, inNamespace } from './host-command.js';

/*
 * The network the partition harness runs checkout nodes in: a bridge in the root namespace
 * holding the gateway address (where Cassandra, the broker and the downstream services listen),
 * and one network namespace per node joined to the bridge by a veth pair, all in a private /24
 * created for this run. Names carry the creating process's pid, so a later run can sweep what a
 * killed run left behind.
 */

export interface PartitionNetwork {
  /** Root-namespace address on the bridge: bind services here. */
  gateway: string;
  /** Created by `addNode`. */
  node(nodeId: string): NetworkNode;
  addNode(nodeId: string): Promise<NetworkNode>;
  destroy(): Promise<void>;
}

export interface NetworkNode {
  id: string;
  namespace: string;
  address: string;
  /** The node side of its veth pair, inside the namespace. */
  device: 'eth0';
  /** The root side of its veth pair (on the bridge). */
  peerDevice: string;
  /** Prefix for a command that must run inside the namespace (it execs). */
  exec: string[];
}

const NS_PREFIX = 'cpns-';
const LINK_PREFIX = 'cp';
let networksMade = 0;

export class PartitionHarnessRefusal extends Error {
  override name = 'PartitionHarnessRefusal';
}

/** Refuses in one line, saying what to do, where namespaces, iptables or tc cannot be used. */
export async function checkPartitionPrerequisites(): Promise<void> {
  for (const [tool, pkg] of [['ip', 'iproute2'], ['iptables', 'iptables'], ['tc', 'iproute2']] as const) {
    try { await hostCommand('sh', ['-c', `command -v ${tool}`]); } catch {
      throw new PartitionHarnessRefusal(`partition harness: \`${tool}\` is missing; install it (apt-get install -y ${pkg}) and run again`);
    }
  }
  // Named like a run's namespaces (network 0), so a probe left by a killed run is swept too.
  const probe = `${NS_PREFIX}${process.pid.toString(36)}x0-probe`;
  try {
    await hostCommand('ip', ['netns', 'add', probe]);
    await inNamespace(probe, 'iptables', ['-S']);
  } catch (err) {
    throw new PartitionHarnessRefusal(`partition harness: network namespaces are not permitted here (${(err as Error).message.split('\n')[0]}); run as root with CAP_NET_ADMIN and CAP_SYS_ADMIN, or skip the partition suite`);
  } finally {
    await hostCommand('ip', ['netns', 'del', probe]).catch(() => undefined);
  }
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; } };
/**
 * The pid in a run's tag (`<pid in base 36>x<n>`). The pid's own digits may hold an x (base 36),
 * so the tag splits at the last x, the one followed only by decimal digits.
 */
export const ownerPidOfTag = (tag: string): number => {
  const m = /^([0-9a-z]+)x\d+$/.exec(tag);
  return m ? parseInt(m[1]!, 36) : Number.NaN;
};

/** Deletes namespaces and links left by runs whose process is gone (a killed test, a crashed run). */
export async function sweepDeadRuns(): Promise<string[]> {
  const swept: string[] = [];
  const namespaces = (await hostCommand('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(NS_PREFIX));
  for (const ns of namespaces) {
    const tag = ns.slice(NS_PREFIX.length).split('-')[0]!;
    if (alive(ownerPidOfTag(tag))) continue;
    await hostCommand('ip', ['netns', 'del', ns]).catch(() => undefined);
    swept.push(ns);
  }
  const links = (await hostCommand('ip', ['-o', 'link', 'show'])).split('\n').map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1]).filter((n): n is string => !!n && /^cp[bv][0-9a-z]+x\d+/.test(n));
  for (const link of links) {
    const tag = /^cp[bv]([0-9a-z]+x\d+)/.exec(link)![1]!;
    if (alive(ownerPidOfTag(tag))) continue;
    await hostCommand('ip', ['link', 'del', link]).catch(() => undefined);
    swept.push(link);
  }
  return swept;
}

/** A /24 in 10.0.0.0/8 that no route of this host covers yet. */
async function freeSubnet(): Promise<string> {
  const routes = await hostCommand('ip', ['-4', 'route', 'show', 'table', 'all']);
  for (let i = 0; i < 50; i++) {
    const subnet = `10.${randomInt(100, 250)}.${randomInt(1, 255)}`;
    if (!routes.includes(`${subnet}.`)) return subnet;
  }
  throw new Error('partition harness: found no free 10.x.y.0/24 for its network');
}

export async function createPartitionNetwork(): Promise<PartitionNetwork> {
  await checkPartitionPrerequisites();
  await sweepDeadRuns();
  const tag = `${process.pid.toString(36)}x${++networksMade}`;
  const subnet = await freeSubnet();
  const bridge = `${LINK_PREFIX}b${tag}`;
  const gateway = `${subnet}.1`;
  const nodes = new Map<string, NetworkNode>();
  const destroySync = () => {
    for (const n of nodes.values()) hostCommandSync('ip', ['netns', 'del', n.namespace]);
    hostCommandSync('ip', ['link', 'del', bridge]);
  };
  // A test run killed by a signal skips afterAll; normal exits still clean up here.
  process.once('exit', destroySync);
  await hostCommand('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await hostCommand('ip', ['addr', 'add', `${gateway}/24`, 'dev', bridge]);
  await hostCommand('ip', ['link', 'set', bridge, 'up']);

  const network: PartitionNetwork = {
    gateway,
    node(nodeId) {
      const n = nodes.get(nodeId);
      if (!n) throw new Error(`partition harness: no namespace for ${nodeId}`);
      return n;
    },
    async addNode(nodeId) {
      const index = nodes.size + 1;
      if (index > 200) throw new Error('partition harness: at most 200 nodes');
      const namespace = `${NS_PREFIX}${tag}-${nodeId}`;
      const peerDevice = `${LINK_PREFIX}v${tag}n${index}`;
      const inner = `${LINK_PREFIX}e${tag}n${index}`;
      const node: NetworkNode = { id: nodeId, namespace, address: `${subnet}.${10 + index}`, device: 'eth0', peerDevice, exec: ['ip', 'netns', 'exec', namespace] };
      nodes.set(nodeId, node);
      await hostCommand('ip', ['netns', 'add', namespace]);
      await hostCommand('ip', ['link', 'add', peerDevice, 'type', 'veth', 'peer', 'name', inner]);
      await hostCommand('ip', ['link', 'set', inner, 'netns', namespace]);
      await hostCommand('ip', ['link', 'set', peerDevice, 'master', bridge, 'up']);
      await inNamespace(namespace, 'ip', ['link', 'set', inner, 'name', 'eth0']);
      await inNamespace(namespace, 'ip', ['addr', 'add', `${node.address}/24`, 'dev', 'eth0']);
      await inNamespace(namespace, 'ip', ['link', 'set', 'eth0', 'up']);
      await inNamespace(namespace, 'ip', ['link', 'set', 'lo', 'up']);
      return node;
    },
    async destroy() {
      process.off('exit', destroySync);
      for (const n of nodes.values()) await hostCommand('ip', ['netns', 'del', n.namespace]).catch(() => undefined);
      await hostCommand('ip', ['link', 'del', bridge]).catch(() => undefined);
      nodes.clear();
    },
  };
  return network;
}
