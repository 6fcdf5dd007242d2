// The public entry of @weir/coordinator: the coordinator process, its options
// and the etcd contracts (keys, leader election, metadata store).
export { Coordinator, LEADER_ADDRESS_METADATA, startCoordinator, type RunningCoordinator } from './coordinator.ts';
export {
  COORDINATOR_ENV,
  DEFAULT_CLUSTER_ID,
  DEFAULT_COORDINATOR_PORT,
  parseEtcdEndpoints,
  resolveCoordinatorOptions,
  type CoordinatorOptions,
  type ResolvedCoordinatorOptions,
} from './coordinator-options.ts';
export * from './etcd/index.ts';
