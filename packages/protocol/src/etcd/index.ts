/**
 * `@weir/protocol/etcd`: Weir's contract with etcd, for every process that
 * uses it (coordinators, workers, the CLI): the key layout, the records kept
 * there, the one client set-up (deadlines, retries, lease TTLs, errors that
 * name the endpoints) and reading who leads. A separate entry point, so that
 * processes without etcd do not load etcd3.
 *
 * @packageDocumentation
 */
export {
  createEtcdClient,
  DEFAULT_ETCD_REQUEST_TIMEOUT_MS,
  DEFAULT_LEADER_TTL_SECONDS,
  EtcdClient,
  WORKER_LEASE_TTL_SECONDS,
  type EtcdClientOptions,
  type EtcdTlsFiles,
} from './etcd-client.ts';
export { callEtcd, EtcdUnavailableError } from './etcd-errors.ts';
export { campaignLeaseId, ETCD_ROOT, EtcdKeys, LEADER_ELECTION_NAME } from './etcd-keys.ts';
export { encodeEtcdRecord, parseCheckpointCounter, parseCheckpointPointer, parseEtcdRecord } from './etcd-record-codec.ts';
export type * from './etcd-records.ts';
export { listLeaderCandidates, observeLeader, readLeaderAddress, type ObserveLeaderOptions } from './leader-observer.ts';
