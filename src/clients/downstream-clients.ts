import * as grpc from '@grpc/grpc-js';
import { loadDownstreamProto } from '../grpc/protos.js';
import { DownstreamCallError } from './downstream-call-error.js';
import { createStatusCodec, type StatusCodec } from '../grpc/status-details.js';

export interface CallOptions {
  /** Milliseconds from now; the bundle's default when unset. */
  deadlineMs?: number;
  metadata?: grpc.Metadata;
  /** Aborting cancels the call (it then rejects with CANCELLED). */
  signal?: AbortSignal;
}

export type UnaryCall<Req, Res> = (request: Req, options?: CallOptions) => Promise<Res>;

/** One promise-returning function per RPC of a service definition, named in lowerCamelCase. */
export type ServiceClient<D> = {
  [K in keyof D as K extends string ? (string extends K ? never : Uncapitalize<K>) : never]: D[K] extends {
    requestSerialize: (value: infer Req) => Buffer;
    responseDeserialize: (bytes: Buffer) => infer Res;
  }
    ? UnaryCall<Req, Res>
    : never;
};

type V1 = ReturnType<typeof loadDownstreamProto>['grpc']['downstream']['v1'];

export interface DownstreamClients {
  catalog: ServiceClient<V1['CatalogService']['service']>;
  fraud: ServiceClient<V1['FraudService']['service']>;
  payments: ServiceClient<V1['PaymentsService']['service']>;
  logistics: ServiceClient<V1['LogisticsService']['service']>;
  merchant: ServiceClient<V1['MerchantService']['service']>;
  admin: ServiceClient<V1['DownstreamAdmin']['service']>;
  /** Resolves once connected; rejects when the deadline passes first. */
  ready(deadlineMs?: number): Promise<void>;
  close(): void;
}

export interface DownstreamClientOptions {
  /** Default deadline of every call, in ms. Default 5000. */
  deadlineMs?: number;
  channelOptions?: grpc.ChannelOptions;
  /** Sent with every DownstreamAdmin call (`authorization: Bearer …`); without it they are refused. */
  adminSecret?: string;
}

/**
 * Typed clients for every downstream service over one channel. Failures reject with a
 * DownstreamCallError that keeps the status code, metadata and decoded ErrorInfo reason.
 */
export function createDownstreamClients(address: string, opts: DownstreamClientOptions = {}): DownstreamClients {
  const v1 = loadDownstreamProto().grpc.downstream.v1;
  // makeUnaryRequest takes the method path, so one generic client serves every service.
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), opts.channelOptions ?? {});
  const codec = createStatusCodec();
  const defaultDeadline = opts.deadlineMs ?? 5000;
  const bind = <D extends grpc.ServiceDefinition>(definition: D): ServiceClient<D> => bindService(client, definition, codec, defaultDeadline);

  return {
    catalog: bind(v1.CatalogService.service),
    fraud: bind(v1.FraudService.service),
    payments: bind(v1.PaymentsService.service),
    logistics: bind(v1.LogisticsService.service),
    merchant: bind(v1.MerchantService.service),
    admin: bindService(client, v1.DownstreamAdmin.service, codec, defaultDeadline, opts.adminSecret),
    ready: (deadlineMs = defaultDeadline) =>
      new Promise((resolve, reject) => client.waitForReady(Date.now() + deadlineMs, (err) => (err ? reject(err) : resolve()))),
    close: () => client.close(),
  };
}

function bindService<D extends grpc.ServiceDefinition>(client: grpc.Client, definition: D, codec: StatusCodec, defaultDeadline: number, bearer?: string): ServiceClient<D> {
  const bound: Record<string, UnaryCall<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    bound[name.charAt(0).toLowerCase() + name.slice(1)] = (request, options = {}) =>
      new Promise((resolve, reject) => {
        const call = client.makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          request,
          withBearer(options.metadata, bearer),
          { deadline: Date.now() + (options.deadlineMs ?? defaultDeadline) },
          (err, response) => {
            options.signal?.removeEventListener('abort', cancel);
            if (err) reject(new DownstreamCallError(method.path, err, codec));
            else resolve(response);
          },
        );
        const cancel = (): void => call.cancel();
        if (options.signal?.aborted) cancel();
        else options.signal?.addEventListener('abort', cancel, { once: true });
      });
  }
  // Built from the same definition the type is derived from, so the shapes agree.
  return bound as ServiceClient<D>;
}

function withBearer(metadata: grpc.Metadata | undefined, bearer: string | undefined): grpc.Metadata {
  if (bearer === undefined) return metadata ?? new grpc.Metadata();
  const withIt = metadata?.clone() ?? new grpc.Metadata();
  withIt.set('authorization', `Bearer ${bearer}`);
  return withIt;
}
