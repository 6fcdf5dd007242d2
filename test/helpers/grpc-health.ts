// Asks a process's standard grpc.health.v1.Health service for its status
// (SERVING, NOT_SERVING...), as a Kubernetes gRPC probe would.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';

interface HealthClient extends grpc.Client {
  check(request: { service: string }, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: { status: string }) => void): void;
}

/** How to reach the health service: plaintext (a probe's view of a plaintext port), or a client's TLS channel. */
export interface HealthChannel {
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
}

/** The status `address` reports for `service` ('' for the whole server); plaintext unless `channel` says otherwise. */
export async function healthStatus(address: string, service = '', timeoutMs = 5_000, channel?: HealthChannel): Promise<string> {
  const definition = protoLoader.loadSync(protoPath, { enums: String });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => HealthClient } } };
  };
  const client = new loaded.grpc.health.v1.Health(address, channel?.credentials ?? grpc.credentials.createInsecure(), channel?.options ?? {});
  try {
    return await new Promise((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + timeoutMs }, (error, response) => (error ? reject(error) : resolve(response!.status))),
    );
  } finally {
    client.close();
  }
}
