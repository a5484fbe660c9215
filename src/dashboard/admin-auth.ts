import * as grpc from '@grpc/grpc-js';
import type { IncomingHttpHeaders } from 'node:http';
import { AuthError, authenticate, requireAdmin, requireOperator, type Principal, type TokenService } from '../edge/auth.js';
import { EdgeStatusError } from '../edge/rich-errors.js';

export type AdminCheck =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; reason: string; message: string };

/**
 * The dashboard's gate: the same bearer token, parsing and role check as the gRPC edge (the
 * header is handed to `authenticate` as metadata), answered as HTTP 401 or 403. Reading needs
 * an operator (or admin) token, changing anything an admin one.
 */
export async function checkRole(headers: IncomingHttpHeaders, tokens: Pick<TokenService, 'verify'>, need: 'operator' | 'admin'): Promise<AdminCheck> {
  const metadata = new grpc.Metadata();
  const header = headers.authorization;
  if (header !== undefined) metadata.set('authorization', header);
  try {
    const principal = await authenticate(metadata, tokens);
    if (need === 'admin') requireAdmin(principal);
    else requireOperator(principal);
    return { ok: true, principal };
  } catch (err) {
    if (err instanceof AuthError) return { ok: false, status: 401, reason: err.failure, message: err.customerMessage };
    if (err instanceof EdgeStatusError && err.code === grpc.status.PERMISSION_DENIED) return { ok: false, status: 403, reason: err.reason, message: err.customerMessage };
    throw err;
  }
}
