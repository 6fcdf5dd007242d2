// The "not the leader" answer of a coordinator: the gRPC status a standby (or
// a coordinator while no one leads) gives to requests only the leader serves,
// and how a client recognizes it, by status code and metadata, never by text.
import * as grpc from '@grpc/grpc-js';

/** Metadata key a coordinator sets on every not-the-leader answer; its value is `NOT_LEADER_STANDBY` or `NOT_LEADER_NO_LEADER`. */
export const NOT_LEADER_METADATA = 'weir-not-leader';

/** Metadata key carrying the leader's address (`host:port`) on a standby's answer, for clients to follow. */
export const LEADER_ADDRESS_METADATA = 'weir-leader-address';

/** `NOT_LEADER_METADATA` value: another coordinator leads (its address is in `LEADER_ADDRESS_METADATA`). */
export const NOT_LEADER_STANDBY = 'standby';

/** `NOT_LEADER_METADATA` value: no coordinator leads right now (an election is under way, or etcd is unreachable). */
export const NOT_LEADER_NO_LEADER = 'no-leader';

/** Status code of a standby's answer: the request is fine, this coordinator is the wrong one. */
export const STANDBY_STATUS = grpc.status.FAILED_PRECONDITION;

/** Status code of the answer while no coordinator leads: retry shortly. */
export const NO_LEADER_STATUS = grpc.status.UNAVAILABLE;

/** What a not-the-leader answer says. */
export interface NotLeader {
  /** The leader's address; `undefined` while no coordinator leads. */
  leader: string | undefined;
}

/**
 * The error a coordinator answers with when it does not lead: a standby
 * names the leader, otherwise it says that no one leads yet. Carries the
 * gRPC `code` and `metadata`, so a handler passes them on as they are.
 */
export class NotLeaderStatusError extends Error {
  readonly code: grpc.status;
  readonly metadata: grpc.Metadata;
  /** The leader's address; `undefined` while no coordinator leads. */
  readonly leader: string | undefined;

  /**
   * @param self this coordinator's address.
   * @param leader the leader's address, if one is known and it is not `self`.
   * @param clusterId the cluster, for the message.
   */
  constructor(self: string, leader: string | undefined, clusterId: string) {
    super(
      leader !== undefined
        ? `coordinator ${self} is a standby; the leader is at ${leader}`
        : `no coordinator of cluster '${clusterId}' leads yet (an election is in progress, or etcd is unreachable); try again in a few seconds`,
    );
    this.name = 'NotLeaderStatusError';
    this.leader = leader;
    this.code = leader !== undefined ? STANDBY_STATUS : NO_LEADER_STATUS;
    this.metadata = new grpc.Metadata();
    this.metadata.set(NOT_LEADER_METADATA, leader !== undefined ? NOT_LEADER_STANDBY : NOT_LEADER_NO_LEADER);
    if (leader !== undefined) this.metadata.set(LEADER_ADDRESS_METADATA, leader);
  }
}

/**
 * Recognizes a coordinator's not-the-leader answer by its status code and
 * metadata; `undefined` for any other error.
 */
export function readNotLeader(error: { code?: grpc.status; metadata?: grpc.Metadata }): NotLeader | undefined {
  const kind = error.metadata?.get(NOT_LEADER_METADATA)[0];
  if (kind === NOT_LEADER_STANDBY && error.code === STANDBY_STATUS) {
    const leader = error.metadata?.get(LEADER_ADDRESS_METADATA)[0];
    return leader === undefined ? undefined : { leader: String(leader) };
  }
  if (kind === NOT_LEADER_NO_LEADER && error.code === NO_LEADER_STATUS) return { leader: undefined };
  return undefined;
}
