// High availability on etcd, the coordinator's part: leader election, the
// guarded metadata store, and `EtcdLeadership` that wires them for the
// coordinator (with --etcd). Keys, records and the client are in
// @weir/protocol/etcd.
export { NotLeaderError, type LeaderFence } from './etcd-errors.ts';
export { EtcdMetadataStore, type EtcdMetadataStoreOptions, type FenceSource } from './etcd-metadata-store.ts';
export { LeaderElection, type LeaderElectionEvents, type LeaderElectionOptions } from './leader-election.ts';
export { EtcdLeadership, type EtcdLeadershipOptions, type LeadershipHandlers } from './etcd-leadership.ts';
