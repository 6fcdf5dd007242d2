// How the JobManager gRPC service answers a unary call: a standby refuses
// leader-only calls, and a failure goes back as a gRPC error with its status
// code and any metadata it carries (e.g. the leader's address).
import { grpc, toServiceError } from '@weir/protocol';

/**
 * Wraps an async handler; unless `leaderOnly` is false, only the leader
 * serves it. The request and response types are checked against the
 * generated service types where the handlers are bound.
 */
export type UnaryFactory = <Req, Res>(handler: (request: Req) => Promise<Res>, leaderOnly?: boolean) => grpc.handleUnaryCall<Req, Res>;

/** Makes unary handlers that first call `requireLeader` (it throws on a standby, with the leader's address) unless a handler is served by any coordinator. */
export function unaryFactory(requireLeader: () => void): UnaryFactory {
  return <Req, Res>(handler: (request: Req) => Promise<Res>, leaderOnly = true): grpc.handleUnaryCall<Req, Res> => {
    return (call, callback) => {
      const run = async (): Promise<Res> => {
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
