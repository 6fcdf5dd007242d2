// How the JobManager gRPC service answers a unary call: a standby refuses
// leader-only calls, and a failure goes back as a gRPC error with its status
// code and any metadata it carries (e.g. the leader's address).
import { grpc, toServiceError } from '@weir/protocol';

/** A unary gRPC handler as grpc-js calls it. */
export type Unary<Req> = (call: grpc.ServerUnaryCall<Req, unknown>, callback: grpc.sendUnaryData<unknown>) => void;

/** Wraps an async handler; unless `leaderOnly` is false, only the leader serves it. */
export type UnaryFactory = <Req>(handler: (request: Req) => Promise<unknown>, leaderOnly?: boolean) => Unary<Req>;

/** Makes unary handlers that first call `requireLeader` (it throws on a standby, with the leader's address) unless a handler is served by any coordinator. */
export function unaryFactory(requireLeader: () => void): UnaryFactory {
  return <Req>(handler: (request: Req) => Promise<unknown>, leaderOnly = true): Unary<Req> => {
    return (call, callback) => {
      const run = async (): Promise<unknown> => {
        if (leaderOnly) requireLeader();
        return handler(call.request);
      };
      run().then(
        (response) => callback(null, response),
        (error: Error & { code?: grpc.status; metadata?: grpc.Metadata }) =>
          callback({ ...toServiceError(error, error.code ?? grpc.status.INVALID_ARGUMENT), ...(error.metadata ? { metadata: error.metadata } : {}) }),
      );
    };
  };
}
