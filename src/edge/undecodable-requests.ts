import type * as grpc from '@grpc/grpc-js';
import { InvalidInputError } from '../domain/errors.js';

/**
 * grpc-js answers a request whose bytes its deserializer cannot decode with INTERNAL "Error
 * deserializing request": the server's fault, to a client that sent garbage. Here the
 * deserializer never throws; it hands the handler this marker instead, and the handler answers
 * INVALID_ARGUMENT with the reason, through the same error mapping as every other bad input.
 */
export class UndecodableRequest {
  constructor(readonly reason: string) {}
}

const MAX_REASON = 100;

/** The service definition with every request deserializer returning `UndecodableRequest` on bad bytes. */
export function decodeFailuresAsMarkers<S extends grpc.ServiceDefinition>(service: S): S {
  const wrapped: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(service)) {
    const decode = method.requestDeserialize;
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch (err) {
          return new UndecodableRequest(`the request body is not a valid ${method.path.split('/').pop() ?? ''} message: ${String((err as Error).message ?? err).slice(0, MAX_REASON)}`);
        }
      },
    };
  }
  return wrapped as unknown as S;
}

/**
 * The handlers, each answering an `UndecodableRequest` with `toError(InvalidInputError)` before
 * the real handler sees it. Unary and server-streaming methods (the ones this project serves).
 */
export function rejectUndecodable(
  service: grpc.ServiceDefinition,
  handlers: grpc.UntypedServiceImplementation,
  toError: (err: InvalidInputError, call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>) => grpc.ServerErrorResponse,
): grpc.UntypedServiceImplementation {
  const guarded: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const method = service[name];
    if (!method || method.requestStream) { guarded[name] = handler; continue; }
    const invalid = (request: UndecodableRequest) => new InvalidInputError([{ field: 'request', description: request.reason }]);
    if (method.responseStream) {
      const stream = handler as grpc.handleServerStreamingCall<unknown, unknown>;
      guarded[name] = ((call: grpc.ServerWritableStream<unknown, unknown>) => {
        if (call.request instanceof UndecodableRequest) call.emit('error', toError(invalid(call.request), call));
        else stream(call);
      }) as grpc.handleServerStreamingCall<unknown, unknown>;
    } else {
      const unary = handler as grpc.handleUnaryCall<unknown, unknown>;
      guarded[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        if (call.request instanceof UndecodableRequest) callback(toError(invalid(call.request), call));
        else unary(call, callback);
      }) as grpc.handleUnaryCall<unknown, unknown>;
    }
  }
  return guarded;
}
