// The public entry of @weir/coordinator: the coordinator process, its options
// and the etcd contracts it owns (leader election, metadata store).
export { Coordinator, startCoordinator, type RunningCoordinator } from './coordinator.ts';
export {
  DEFAULT_CLUSTER_ID,
  DEFAULT_COORDINATOR_PORT,
  DEFAULT_REST_PORT,
  parseEtcdEndpoints,
  resolveCoordinatorOptions,
  type CoordinatorOptions,
  type ResolvedCoordinatorOptions,
} from './coordinator-options.ts';
export * from './etcd/index.ts';
export { ClientAuthorization, type Caller, type Verdict } from './security/client-authorization.ts';
export { grpcRequirement, restRequirement, roleAllows, ROLES, type Requirement, type Role } from './security/roles.ts';
export { loadTokens, MIN_TOKEN_LENGTH, parseTokens, TokenStore, type TokenIdentity } from './security/token-store.ts';
export { readSavepointMetadata } from './checkpoint/read-savepoint-metadata.ts';
