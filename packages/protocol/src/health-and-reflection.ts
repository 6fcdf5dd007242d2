// The two standard gRPC services every Weir server offers beside its own, so
// that tools and clients no one here wrote can use it: server reflection
// (grpc.reflection.v1 and v1alpha, @grpc/reflection: `grpcurl list` and
// `describe` need no .proto file) and health checking (grpc.health.v1.Health,
// grpc-health-check: Kubernetes' gRPC probes, grpc-health-probe).
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';
import { PROTO_LOADER_OPTIONS, PROTO_PATH } from './rpc.ts';

/** The JobManager service's full name, as health checks and reflection name it. */
export const JOB_MANAGER_SERVICE_NAME = 'weir.v1.JobManager';
/** The TaskExecutor service's full name, as health checks and reflection name it. */
export const TASK_EXECUTOR_SERVICE_NAME = 'weir.v1.TaskExecutor';

/**
 * Serves reflection on `server`: the services and messages of proto/weir.proto
 * and the health service, described from their descriptors.
 */
export function addReflectionService(server: grpc.Server): void {
  const definition = protoLoader.loadSync([PROTO_PATH, HEALTH_PROTO_PATH], PROTO_LOADER_OPTIONS);
  new ReflectionService(definition).addToServer(server);
}

/**
 * The health of one server, served as grpc.health.v1.Health. The overall
 * status ("") and that of each named service move together: NOT_SERVING
 * until `set(true)`. Watchers are told of every change.
 */
export class ServingHealth {
  private readonly health: HealthImplementation;
  private readonly services: readonly string[];
  private current: boolean | undefined;

  /** `services`: the full names this server's status is reported under besides "" (e.g. JOB_MANAGER_SERVICE_NAME). */
  constructor(services: readonly string[]) {
    this.services = services;
    this.health = new HealthImplementation(Object.fromEntries(['', ...services].map((s) => [s, 'NOT_SERVING'])));
  }

  /** Adds the Health service to `server`. */
  addToServer(server: grpc.Server): void {
    this.health.addToServer(server);
  }

  /** Whether the server is SERVING now. */
  get serving(): boolean {
    return this.current === true;
  }

  /** Sets SERVING (`true`) or NOT_SERVING for "" and every named service; a repeat of the current status does nothing. */
  set(serving: boolean): void {
    if (this.current === serving) return;
    this.current = serving;
    for (const service of ['', ...this.services]) this.health.setStatus(service, serving ? 'SERVING' : 'NOT_SERVING');
  }
}
