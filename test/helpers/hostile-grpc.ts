// A hostile gRPC peer for the e2e tests: clients of weir.v1's services made
// with @grpc/grpc-js and @grpc/proto-loader straight from proto/weir.proto
// (none of Weir's own client code), unary calls that resolve with the gRPC
// status, and sessions and streams that send whatever a test writes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { TEST_TLS } from './test-tls.ts';

const PROTO = fileURLToPath(new URL('../../packages/protocol/proto/weir.proto', import.meta.url));

type ServiceClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;
type ClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => ServiceClient;

const definition = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
const weir = (grpc.loadPackageDefinition(definition).weir as grpc.GrpcObject).v1 as unknown as Record<string, ClientConstructor>;

/** What a call answered: OK with its response, or an error's code and details. */
export interface Answer {
  code: grpc.status;
  details: string;
  response?: Record<string, unknown>;
}

/**
 * A client of `service` (JobManager or TaskExecutor) at `address`, over TLS
 * with a member certificate of the test cluster's CA: the insider case, which
 * gets past mutual TLS to the checks of the messages themselves (a peer
 * without such a certificate is refused before that: test/tls.e2e.test.ts).
 */
export function hostileClient(service: 'JobManager' | 'TaskExecutor', address: string): ServiceClient {
  const credentials = grpc.credentials.createSsl(readFileSync(TEST_TLS.caFile), readFileSync(TEST_TLS.keyFile), readFileSync(TEST_TLS.certFile));
  return new weir[service]!(address, credentials, { 'grpc.max_send_message_length': 128 * 1024 * 1024 });
}

/** Calls unary `method` with `request`; resolves with the status (never rejects). */
export function call(client: ServiceClient, method: string, request: Record<string, unknown>): Promise<Answer> {
  return new Promise((resolve) => {
    const fn = client[method] as (req: unknown, options: grpc.CallOptions, cb: (error: grpc.ServiceError | null, response?: Record<string, unknown>) => void) => void;
    fn.call(client, request, { deadline: Date.now() + 20_000 }, (error, response) =>
      resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: '', ...(response ? { response } : {}) }),
    );
  });
}

/** Sends raw bytes (not a protobuf message of the method's type) to `path`; resolves with the status. */
export function callWithBytes(client: grpc.Client, path: string, bytes: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bytes, { deadline: Date.now() + 20_000 }, (error) =>
      resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: '' }),
    );
  });
}

/** A WorkerSession opened by a hostile worker: what it writes, what the coordinator answers, how the stream ended. */
export interface HostileSession {
  write(message: Record<string, unknown>): void;
  /** Resolves once the coordinator answers the registration. */
  registered: Promise<Record<string, unknown>>;
  /** Resolves with the final status of the stream. */
  ended: Promise<Answer>;
  end(): void;
}

/** Opens a WorkerSession on `client` (a JobManager client). */
export function workerSession(client: ServiceClient): HostileSession {
  const stream = (client.workerSession as () => grpc.ClientDuplexStream<unknown, Record<string, unknown>>).call(client);
  const registered = new Promise<Record<string, unknown>>((resolve) => stream.on('data', (m: Record<string, unknown>) => m.registered && resolve(m.registered as Record<string, unknown>)));
  const ended = new Promise<Answer>((resolve) => {
    stream.on('error', (error: grpc.ServiceError) => resolve({ code: error.code, details: error.details }));
    stream.on('status', (status: grpc.StatusObject) => resolve({ code: status.code, details: status.details }));
  });
  return { write: (m) => stream.write(m), registered, ended, end: () => stream.end() };
}

/** Opens an Exchange stream to a worker (a TaskExecutor client) and sends `messages`; resolves with the status once ended. */
export function exchange(client: ServiceClient, messages: Iterable<Record<string, unknown>>): Promise<Answer> {
  return new Promise((resolve) => {
    const stream = (client.exchange as (cb: (error: grpc.ServiceError | null) => void) => grpc.ClientWritableStream<unknown>).call(client, (error) =>
      resolve(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: '' }),
    );
    for (const message of messages) stream.write(message);
    stream.end();
  });
}

export { grpc };
