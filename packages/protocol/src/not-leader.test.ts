// The not-the-leader contract: recognized by status code and metadata, not by the message.
import { describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { LEADER_ADDRESS_METADATA, NO_LEADER_STATUS, NotLeaderStatusError, readNotLeader, STANDBY_STATUS } from './not-leader.ts';

describe('not-the-leader answers', () => {
  it("a standby's answer names the leader", () => {
    const error = new NotLeaderStatusError('10.0.0.2:6123', '10.0.0.1:6123', 'prod');
    expect(error.code).toBe(STANDBY_STATUS);
    expect(error.metadata.get(LEADER_ADDRESS_METADATA)).toEqual(['10.0.0.1:6123']);
    expect(readNotLeader(error)).toEqual({ leader: '10.0.0.1:6123' });
  });

  it('the answer while no one leads is recognized without a leader', () => {
    const error = new NotLeaderStatusError('10.0.0.2:6123', undefined, 'prod');
    expect(error.code).toBe(NO_LEADER_STATUS);
    expect(error.message).toContain("cluster 'prod'");
    expect(readNotLeader(error)).toEqual({ leader: undefined });
  });

  it('other errors are not taken for it, whatever their message says', () => {
    const { message } = new NotLeaderStatusError('a:1', undefined, 'prod');
    expect(readNotLeader({ code: grpc.status.UNAVAILABLE })).toBeUndefined();
    expect(readNotLeader(Object.assign(new Error(message), { code: grpc.status.UNAVAILABLE, metadata: new grpc.Metadata() }))).toBeUndefined();
    // The right metadata with another code (e.g. a proxy's own failure) is not it either.
    const standby = new NotLeaderStatusError('a:1', 'b:2', 'prod');
    expect(readNotLeader({ code: grpc.status.INTERNAL, metadata: standby.metadata })).toBeUndefined();
  });
});
