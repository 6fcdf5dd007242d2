export { Coordinator, startCoordinator, type RunningCoordinator } from './coordinator.ts';
export {
  COORDINATOR_ENV,
  DEFAULT_COORDINATOR_PORT,
  resolveCoordinatorOptions,
  type CoordinatorOptions,
  type ResolvedCoordinatorOptions,
} from './coordinator-options.ts';
export * from './etcd/index.ts';
