// The gRPC side of client authorization: one server interceptor that decides
// every call before its handler runs, and answers UNAUTHENTICATED or
// PERMISSION_DENIED when it is refused.
import { grpc } from '@weir/protocol';
import type { ClientAuthorization } from './client-authorization.ts';
import { grpcRequirement } from './roles.ts';

/**
 * A server interceptor enforcing `authorization` on every call of the server.
 * `plaintext`: the port has no TLS, so no peer can prove membership and every
 * peer is taken as a member (what a plaintext cluster is; it is warned about).
 */
export function authorizationInterceptor(authorization: ClientAuthorization, plaintext: boolean): grpc.ServerInterceptor {
  return (descriptor, call) => {
    const needed = grpcRequirement(descriptor.path);
    if (needed === 'open') return new grpc.ServerInterceptingCall(call);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const header = metadata.get('authorization')[0];
            const verdict = authorization.decide(
              needed,
              {
                authorization: typeof header === 'string' ? header : undefined,
                // grpc-js reports a peer certificate only when it verified against the cluster CA.
                member: plaintext || call.getAuthContext().sslPeerCertificate !== undefined,
                peer: call.getPeer(),
              },
              descriptor.path.split('/').pop() ?? descriptor.path,
            );
            if (verdict.allowed) {
              nextMetadata(metadata);
              return;
            }
            const code = verdict.reason === 'unauthenticated' ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED;
            call.sendStatus({ code, details: verdict.message, metadata: new grpc.Metadata() });
          },
        });
      },
    });
  };
}
