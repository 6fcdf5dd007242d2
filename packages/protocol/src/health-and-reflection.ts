// The two standard gRPC services every Weir server offers beside its own, so
// that tools and clients no one here wrote can use it: server reflection
// (grpc.reflection.v1 and v1alpha, @grpc/reflection: `grpcurl list` and
// `describe` need no .proto file) and health checking (grpc.health.v1.Health,
// grpc-health-check: Kubernetes' gRPC probes, grpc-health-probe).
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { PROTO_LOADER_OPTIONS, PROTO_PATH } from './rpc.ts';

/** The JobManager service's full name, as health checks and reflection name it. */
export const JOB_MANAGER_SERVICE_NAME = 'weir.v1.JobManager';
/** The TaskExecutor service's full name, as health checks and reflection name it. */
export const TASK_EXECUTOR_SERVICE_NAME = 'weir.v1.TaskExecutor';

/** The health service's full name. */
const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

/**
 * Serves reflection on `server`: the messages of proto/weir.proto and the
 * health proto, and of the services those of `services` (the ones `server`
 * serves, e.g. JOB_MANAGER_SERVICE_NAME) and the health service.
 */
export function addReflectionService(server: grpc.Server, services: readonly string[]): void {
  // Field names as the .proto spells them (snake_case): reflection hands out descriptors, it never (de)serializes.
  const definition = protoLoader.loadSync([PROTO_PATH, HEALTH_PROTO_PATH], { ...PROTO_LOADER_OPTIONS, keepCase: true });
  for (const entry of Object.values(definition)) {
    if ('fileDescriptorProtos' in entry && Array.isArray(entry.fileDescriptorProtos)) entry.fileDescriptorProtos = entry.fileDescriptorProtos.map(asProtocWrites);
  }
  new ReflectionService(definition, { services: [...services, HEALTH_SERVICE_NAME] }).addToServer(server);
}

interface MessageDescriptor {
  name?: string;
  field?: { name?: string; jsonName?: string; typeName?: string; oneofIndex?: number; proto3Optional?: boolean }[];
  oneofDecl?: { name?: string }[];
  nestedType?: MessageDescriptor[];
  options?: { mapEntry?: boolean };
}

/**
 * One serialized FileDescriptorProto as protoc would write it, where
 * protobufjs's differs: it names the entry type of a map field after the
 * field (`Counters`), where protoc and every other runtime expect
 * `CountersEntry` (Go's runtime, grpcurl's, refuses the file), it leaves
 * out that a proto3 `optional` field's oneof is synthetic, and loaded with
 * keepCase it gives the JSON name as the field name (`free_slots`, where
 * protoc gives `freeSlots`).
 */
function asProtocWrites(file: Buffer): Buffer {
  const proto = descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(file)) as { messageType?: MessageDescriptor[] };
  const fix = (message: MessageDescriptor): void => {
    for (const field of message.field ?? []) {
      const oneof = field.oneofIndex !== undefined ? message.oneofDecl?.[field.oneofIndex] : undefined;
      const alone = message.field?.filter((f) => f.oneofIndex === field.oneofIndex).length === 1;
      if (oneof?.name === `_${field.name}` && alone) field.proto3Optional = true;
      if (field.name) field.jsonName = field.name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    }
    for (const nested of message.nestedType ?? []) {
      if (nested.options?.mapEntry && nested.name && !nested.name.endsWith('Entry')) {
        const old = nested.name;
        nested.name = `${old}Entry`;
        for (const field of message.field ?? []) if (field.typeName?.split('.').at(-1) === old) field.typeName = `${field.typeName.slice(0, -old.length)}${nested.name}`;
      }
      fix(nested);
    }
  };
  for (const message of proto.messageType ?? []) fix(message);
  return Buffer.from(descriptor.FileDescriptorProto.encode(descriptor.FileDescriptorProto.fromObject(proto)).finish());
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
