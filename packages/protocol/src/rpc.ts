import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Path of Weir's gRPC contract. */
export const PROTO_PATH = fileURLToPath(new URL('../proto/weir.proto', import.meta.url));

let loaded: grpc.GrpcObject | undefined;

function weirPackage(): grpc.GrpcObject {
  if (!loaded) {
    const definition = protoLoader.loadSync(PROTO_PATH, {
      keepCase: false,
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const root = grpc.loadPackageDefinition(definition);
    loaded = (root.weir as grpc.GrpcObject).v1 as grpc.GrpcObject;
  }
  return loaded;
}

/** The JobManager service definition (coordinator). */
export function jobManagerService(): grpc.ServiceDefinition {
  return (weirPackage().JobManager as grpc.ServiceClientConstructor).service;
}

/** The TaskExecutor service definition (worker). */
export function taskExecutorService(): grpc.ServiceDefinition {
  return (weirPackage().TaskExecutor as grpc.ServiceClientConstructor).service;
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

export function jobManagerClient(address: string): grpc.Client {
  const Ctor = weirPackage().JobManager as grpc.ServiceClientConstructor;
  return new Ctor(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

export function taskExecutorClient(address: string): grpc.Client {
  const Ctor = weirPackage().TaskExecutor as grpc.ServiceClientConstructor;
  return new Ctor(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

/** Calls a unary method and resolves with its response. */
export function unaryCall<Req, Res>(client: grpc.Client, method: string, request: Req, deadlineMs = 30_000): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
    if (typeof fn !== 'function') {
      reject(new Error(`no RPC method ${method}`));
      return;
    }
    fn.call(client, request, { deadline: Date.now() + deadlineMs }, (error: grpc.ServiceError | null, response: Res) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}

/** Starts a gRPC server on host:port (port 0 picks a free one) and resolves with the bound port. */
export function bindServer(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
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
