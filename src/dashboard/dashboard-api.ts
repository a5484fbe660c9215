import type { IncomingMessage, ServerResponse } from 'node:http';
import { DownstreamCallError } from '../clients/downstream-call-error.js';
import type { TokenService } from '../edge/auth.js';
import type { Logger } from '../observability/logger.js';
import { checkRole } from './admin-auth.js';
import type { AdminActions } from './admin-actions.js';
import { summarizeCluster, type ClusterSummary } from './cluster-summary.js';
import { faultChoices, parseFaultRequest } from './fault-request.js';
import { BodyError, readJsonBody, sendJson } from './http-json.js';
import type { NodeStatusTable } from './node-status-table.js';
import type { OrderTimeline } from './order-timeline.js';
import { isStaticPath, serveStatic } from './static-files.js';

/** A route hook for the node's HTTP server: true when it took the request. */
export type HttpRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

const ORDER_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const NODE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * The dashboard's HTTP surface (on the node's admin listener). The page is open; everything
 * under /api/ needs a token: reads an operator's (or admin's), admin actions an admin's.
 *   GET  /                          the page (and its .js/.css)
 *   GET  /api/dashboard             operator: the cluster summary, from the live nodes' rows
 *   GET  /api/orders/<id>           operator: one order's journal as a timeline
 *   GET  /api/fault-choices         operator: targets and kinds a fault rule may name
 *   POST /api/admin/faults          admin: set the downstream fault rules
 *   POST /api/admin/stop            admin: stop this node gracefully
 *   POST /api/admin/nodes/<id>/stop admin: stop that node (forwarded to its own API)
 */
export function createDashboardRoutes(opts: {
  nodeId: string; table: NodeStatusTable; timeline(orderId: string): Promise<OrderTimeline | undefined>;
  tokens: Pick<TokenService, 'verify'>; admin: AdminActions; logger: Logger; clock?: () => number;
}): HttpRoutes {
  const clock = opts.clock ?? Date.now;
  const summary = async (): Promise<ClusterSummary> => summarizeCluster(await opts.table.readAll(), { now: clock(), servedBy: opts.nodeId });

  const handle = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (req.method === 'GET' && isStaticPath(path)) return serveStatic(path, res);
    // Before anything is looked up: without a token, not even "no such order" is answered.
    const check = await checkRole(req.headers, opts.tokens, path.startsWith('/api/admin/') ? 'admin' : 'operator');
    if (!check.ok) return sendJson(res, check.status, { error: check.reason, message: check.message });
    if (req.method === 'GET' && path === '/api/dashboard') return sendJson(res, 200, await summary());
    if (req.method === 'GET' && path === '/api/fault-choices') return sendJson(res, 200, faultChoices());
    if (req.method === 'GET' && path.startsWith('/api/orders/')) {
      const orderId = decodeURIComponent(path.slice('/api/orders/'.length));
      if (!ORDER_ID.test(orderId)) return sendJson(res, 400, { error: 'BAD_ORDER_ID', message: 'an order id is 1-128 characters of [A-Za-z0-9_.:-]' });
      const timeline = await opts.timeline(orderId);
      return timeline ? sendJson(res, 200, timeline) : sendJson(res, 404, { error: 'NOT_FOUND', message: `no journal for order ${orderId}` });
    }
    if (path.startsWith('/api/admin/')) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'METHOD_NOT_ALLOWED', message: 'admin actions are POST' });
      const by = check.principal.consumerId;
      if (path === '/api/admin/faults') {
        const parsed = parseFaultRequest(await readJsonBody(req));
        if (!parsed.ok) return sendJson(res, 400, { error: 'BAD_REQUEST', message: parsed.problem });
        return sendJson(res, 200, { rules: await opts.admin.setFaults(parsed.rules, by) });
      }
      if (path === '/api/admin/stop') {
        return opts.admin.stopSelf(by)
          ? sendJson(res, 202, { stopping: opts.nodeId })
          : sendJson(res, 501, { error: 'NOT_SUPPORTED', message: 'this node runs inside another program and cannot be stopped from here' });
      }
      const stop = /^\/api\/admin\/nodes\/([^/]+)\/stop$/.exec(path);
      if (stop) {
        const nodeId = decodeURIComponent(stop[1]!);
        if (!NODE_ID.test(nodeId)) return sendJson(res, 400, { error: 'BAD_NODE_ID', message: 'not a node id' });
        if (nodeId === opts.nodeId) return opts.admin.stopSelf(by) ? sendJson(res, 202, { stopping: nodeId }) : sendJson(res, 501, { error: 'NOT_SUPPORTED', message: 'this node cannot be stopped from here' });
        const row = (await summary()).nodes.find((n) => n.nodeId === nodeId);
        if (!row) return sendJson(res, 404, { error: 'NOT_FOUND', message: `no live node ${nodeId}` });
        const answer = await opts.admin.stopOther(row.adminAddress, req.headers.authorization ?? '');
        return sendJson(res, answer.status, answer.body);
      }
    }
    return sendJson(res, 404, { error: 'NOT_FOUND', message: `no route ${req.method ?? ''} ${path}` });
  };

  return (req, res, path) => {
    if (!isStaticPath(path) && !path.startsWith('/api/')) return false;
    handle(req, res, path).catch((err: unknown) => {
      if (err instanceof BodyError) return sendJson(res, err.status, { error: 'BAD_REQUEST', message: err.message });
      if (err instanceof DownstreamCallError) return sendJson(res, 502, { error: 'DOWNSTREAM_REFUSED', message: err.message });
      opts.logger.warn({ err, path }, 'dashboard request failed');
      if (!res.headersSent) sendJson(res, 503, { error: 'UNAVAILABLE', message: 'the dashboard could not answer (storage or a service is unreachable); try again' });
      else res.end();
    });
    return true;
  };
}
