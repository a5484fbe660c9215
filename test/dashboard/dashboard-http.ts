import type { ClusterSummary } from '../../src/dashboard/cluster-summary.js';

/*
 * The dashboard's HTTP API as the tests call it (no vitest here).
 */

export interface HttpAnswer { status: number; body: unknown }

export async function getJson(url: string, token?: string): Promise<HttpAnswer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000), headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

export async function postJson(url: string, body: unknown, token?: string): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(10_000),
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/** The cluster summary from a node's admin listener, read with an operator (or admin) token. */
export const dashboardOf = async (adminAddress: string, token: string): Promise<ClusterSummary> => {
  const answer = await getJson(`http://${adminAddress}/api/dashboard`, token);
  if (answer.status !== 200) throw new Error(`GET /api/dashboard answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body as ClusterSummary;
};

/** Polls the node's dashboard until `ok` holds; throws with the last summary when time runs out. */
export async function waitForDashboard(adminAddress: string, token: string, ok: (s: ClusterSummary) => boolean, timeoutMs: number): Promise<ClusterSummary> {
  let last: ClusterSummary | undefined;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    last = await dashboardOf(adminAddress, token).catch(() => last);
    if (last && ok(last)) return last;
  }
  throw new Error(`the dashboard did not get there within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

/** Every shard of the pool owned by exactly one of the listed nodes. */
export function coversOnce(s: ClusterSummary, nodeIds: readonly string[], partitions: number): boolean {
  const owned = s.nodes.filter((n) => nodeIds.includes(n.nodeId)).flatMap((n) => n.shards).sort((a, b) => a - b);
  return s.nodes.length === nodeIds.length && owned.length === partitions && owned.every((shard, i) => shard === i);
}
