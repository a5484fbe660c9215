import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { PackageDefinition } from '@grpc/proto-loader';

export interface GrpcServerHandle {
  server: grpc.Server;
  health: HealthImplementation;
  port: number;
  address: string;
  /** Stops accepting calls, lets running ones finish for up to graceMs, then cuts the rest. */
  stop(graceMs: number): Promise<void>;
}

/**
 * A gRPC server with the standard health service and server reflection (so grpcurl-style tools
 * work), on `host:port` (port 0 picks a free one). Services are added by `register` before it binds.
 */
export async function startGrpcServer(opts: {
  host: string;
  port: number;
  reflect: PackageDefinition[];
  register: (server: grpc.Server) => void;
  /** PEM certificate chain and key: serve TLS (clients need not present certificates). Unset: plaintext. */
  tls?: { cert: Buffer; key: Buffer };
}): Promise<GrpcServerHandle> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 1024 * 1024 });
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  health.addToServer(server);
  for (const definition of opts.reflect) new ReflectionService(definition).addToServer(server);
  opts.register(server);
  const port = await new Promise<number>((resolve, reject) => {
    const credentials = opts.tls
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: opts.tls.cert, private_key: opts.tls.key }], false)
      : grpc.ServerCredentials.createInsecure();
    server.bindAsync(`${opts.host}:${opts.port}`, credentials, (err, bound) => {
      if (err) reject(portError(opts.host, opts.port, err));
      else resolve(bound);
    });
  });
  return {
    server,
    health,
    port,
    address: `${opts.host}:${port}`,
    stop: (graceMs) => new Promise<void>((resolve) => {
      const force = setTimeout(() => { server.forceShutdown(); resolve(); }, graceMs);
      server.tryShutdown(() => { clearTimeout(force); resolve(); });
    }),
  };
}

function portError(host: string, port: number, err: Error): Error {
  // grpc-js reports a taken port only as "No address added out of total 1 resolved".
  if (/EADDRINUSE|address already in use|No address added/i.test(err.message)) {
    return new Error(`gRPC port ${host}:${port} is already in use: stop what holds it or set GRPC_PORT to another port (0 picks a free one)`);
  }
  return new Error(`cannot listen for gRPC on ${host}:${port}: ${err.message}`);
}
