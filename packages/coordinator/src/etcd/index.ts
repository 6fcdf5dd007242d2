// High availability on etcd: leader election, guarded metadata store, key layout.
// Wired into the coordinator when it runs with --etcd.
export { createEtcdClient, DEFAULT_ETCD_REQUEST_TIMEOUT_MS, type EtcdClientOptions } from './etcd-client.ts';
export { callEtcd, EtcdUnavailableError, NotLeaderError, type LeaderFence } from './etcd-errors.ts';
export { ETCD_ROOT, EtcdKeys, LEADER_ELECTION_NAME } from './etcd-keys.ts';
export { EtcdMetadataStore, type CheckpointPointer, type EtcdMetadataStoreOptions, type FenceSource } from './etcd-metadata-store.ts';
export {
  DEFAULT_LEADER_TTL_SECONDS,
  LeaderElection,
  readLeaderAddress,
  type LeaderElectionEvents,
  type LeaderElectionOptions,
} from './leader-election.ts';
export { EtcdLeadership, type EtcdLeadershipOptions, type EtcdWorkerRecord, type LeadershipHandlers } from './etcd-leadership.ts';
