// The leader fence of a coordinator's term and the error of acting as the
// leader without holding it. (etcd being unreachable is
// `EtcdUnavailableError` of @weir/protocol/etcd.)
import { WeirError } from '@weir/common';

/** What a guarded write compares: the leader key and the revision that created it. */
export interface LeaderFence {
  /** The full etcd key this coordinator's campaign holds. */
  key: string;
  /** The key's create revision (etcd int64 as a decimal string). */
  createRevision: string;
}

/**
 * Thrown when this coordinator tries to act as the leader but no longer is:
 * its leader key is gone or was replaced (its lease expired, it resigned, or
 * etcd was unreachable for longer than the lease TTL). Not retryable here:
 * the caller must stop acting as the leader; the current leader (see
 * `LeaderElection.leaderAddress()`) handles the request.
 */
export class NotLeaderError extends WeirError {
  /** The leader key this coordinator held, if it held one. */
  readonly fence: LeaderFence | null;

  constructor(detail: string, fence: LeaderFence | null = null, options: { cause?: unknown } = {}) {
    super(`this coordinator is no longer the leader: ${detail}; stop acting as the leader and send the request to the current leader`, options);
    this.name = 'NotLeaderError';
    this.fence = fence;
  }
}
