// Stopping a gRPC server without waiting on peers: calls in flight get a
// grace period to end, then the rest are cancelled, so a process asked to
// stop (SIGTERM) exits in about that long even while other processes keep
// streams open to it.
import type * as grpc from '@grpc/grpc-js';

/** How long calls in flight get to end before they are cancelled. */
export const SHUTDOWN_GRACE_MS = 1_000;

/** Stops accepting calls, lets those in flight end for up to `graceMs`, then cancels the rest. */
export function shutdownServer(server: grpc.Server, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
