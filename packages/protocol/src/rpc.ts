// Weir's gRPC plumbing: loading proto/weir.proto, typed clients and service
// bindings for the JobManager and TaskExecutor services, and unary calls
// checked against the generated client types (src/generated/).
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/weir.ts';
import type { JobManagerClient, JobManagerDefinition, JobManagerHandlers } from './generated/weir/v1/JobManager.ts';
import type { TaskExecutorClient, TaskExecutorDefinition, TaskExecutorHandlers } from './generated/weir/v1/TaskExecutor.ts';
import { INTERNAL_CHANNEL_OPTIONS, internalCredentials } from './transport-security.ts';

/** Path of Weir's gRPC contract. */
export const PROTO_PATH = fileURLToPath(new URL('../proto/weir.proto', import.meta.url));

/**
 * How messages are loaded: camelCase fields, 64-bit integers as numbers, enums
 * as strings, defaults filled, the oneof name set. `npm run generate:proto`
 * generates the TypeScript types (src/generated/) with the same options.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const satisfies protoLoader.Options;

type WeirPackage = ProtoGrpcType['weir']['v1'];

let loaded: WeirPackage | undefined;

function weirPackage(): WeirPackage {
  if (!loaded) {
    const definition = protoLoader.loadSync(PROTO_PATH, PROTO_LOADER_OPTIONS);
    // The generated ProtoGrpcType describes what loadPackageDefinition makes of weir.proto.
    loaded = (grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType).weir.v1;
  }
  return loaded;
}

/** The JobManager service definition (coordinator). */
export function jobManagerService(): JobManagerDefinition {
  return weirPackage().JobManager.service;
}

/** The TaskExecutor service definition (worker). */
export function taskExecutorService(): TaskExecutorDefinition {
  return weirPackage().TaskExecutor.service;
}

/** Channel options shared by every Weir client: large messages, keepalive. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  'grpc.max_send_message_length': 256 * 1024 * 1024,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
};

/** Server options matching CHANNEL_OPTIONS. */
export const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  'grpc.max_send_message_length': 256 * 1024 * 1024,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5_000,
};

/** How a client channel is secured and what it adds to each call (a bearer token). */
export interface ChannelSecurity {
  credentials: grpc.ChannelCredentials;
  /** More channel options (a TLS server name override). */
  options?: grpc.ChannelOptions;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
}

function bearer(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

/**
 * A client of a coordinator's JobManager service: by default as a member of
 * the cluster (this process's internal transport, `useInternalTransport`), or
 * as a client with `security` (TLS towards the client API, a token).
 */
export function jobManagerClient(address: string, security?: ChannelSecurity): JobManagerClient {
  const credentials = security?.credentials ?? internalCredentials();
  const options: grpc.ClientOptions = { ...CHANNEL_OPTIONS, ...(security ? security.options : INTERNAL_CHANNEL_OPTIONS) };
  if (security?.token) options.interceptors = [bearer(security.token)];
  return new (weirPackage().JobManager)(address, credentials, options);
}

/** A client of a worker's TaskExecutor service, over this process's internal transport (mutual TLS in a secured cluster). */
export function taskExecutorClient(address: string): TaskExecutorClient {
  return new (weirPackage().TaskExecutor)(address, internalCredentials(), { ...CHANNEL_OPTIONS, ...INTERNAL_CHANNEL_OPTIONS });
}

/**
 * A service's generated handler type without grpc-js's catch-all index
 * signature: every method of the service needs its handler, and a name that is
 * not a method of the service is a compile error.
 */
export type ServiceHandlers<H> = { [K in keyof H as string extends K ? never : K]: H[K] };

/** Serves the JobManager service on `server` with one handler per method of proto/weir.proto. */
export function addJobManagerService(server: grpc.Server, handlers: ServiceHandlers<JobManagerHandlers>): void {
  server.addService(jobManagerService(), handlers);
}

/** Serves the TaskExecutor service on `server` with one handler per method of proto/weir.proto. */
export function addTaskExecutorService(server: grpc.Server, handlers: ServiceHandlers<TaskExecutorHandlers>): void {
  server.addService(taskExecutorService(), handlers);
}

/** Request and response of a generated client method, if it is a unary one (argument, callback) => ClientUnaryCall. */
type UnarySignature<F> = F extends (argument: infer Req, callback: grpc.requestCallback<infer Res>) => grpc.ClientUnaryCall
  ? Req extends (...args: never[]) => unknown
    ? never // a client-streaming method: its only argument is the callback
    : { request: Req; response: Res }
  : never;

/** The unary methods of a generated client, by their camelCase names (`triggerCheckpoint`). */
export type UnaryMethod<C> = {
  [K in keyof C & string]: K extends Uncapitalize<K> ? ([UnarySignature<C[K]>] extends [never] ? never : K) : never;
}[keyof C & string];

/** What a unary method of a generated client takes. */
export type UnaryRequest<C, M extends UnaryMethod<C>> = UnarySignature<C[M]>['request'];

/** What a unary method of a generated client answers. */
export type UnaryResponse<C, M extends UnaryMethod<C>> = UnarySignature<C[M]>['response'];

/**
 * Calls a unary method and resolves with its response. The method is one of
 * the client's (`unaryCall(worker.client, 'triggerCheckpoint', request)`); its
 * request and response types come from the generated client.
 */
export function unaryCall<C extends grpc.Client, M extends UnaryMethod<C>>(
  client: C,
  method: M,
  request: UnaryRequest<C, M>,
  deadlineMs = 30_000,
): Promise<UnaryResponse<C, M>> {
  type Call = (this: C, request: UnaryRequest<C, M>, options: grpc.CallOptions, callback: grpc.requestCallback<UnaryResponse<C, M>>) => grpc.ClientUnaryCall;
  return new Promise((resolve, reject) => {
    const fn = client[method] as Call | undefined;
    if (typeof fn !== 'function') {
      reject(new Error(`no RPC method ${method} on this client: the client and proto/weir.proto disagree`));
      return;
    }
    fn.call(client, request, { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error) reject(error);
      else resolve(response!);
    });
  });
}

/** Starts a gRPC server on host:port (port 0 picks a free one) with `credentials` and resolves with the bound port. */
export function bindServer(server: grpc.Server, host: string, port: number, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, credentials, (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });
}

/** Turns a thrown error into a gRPC status for the caller. */
export function toServiceError(error: unknown, code: grpc.status = grpc.status.INVALID_ARGUMENT): Partial<grpc.StatusObject> {
  const message = error instanceof Error ? error.message : String(error);
  return { code, details: message };
}

export { grpc };
