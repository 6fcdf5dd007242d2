// Asks a process's standard grpc.health.v1.Health service for its status
// (SERVING, NOT_SERVING...), as a Kubernetes gRPC probe would.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';

interface HealthClient extends grpc.Client {
  check(request: { service: string }, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: { status: string }) => void): void;
}

/** The status `address` reports for `service` ('' for the whole server). */
export async function healthStatus(address: string, service = '', timeoutMs = 5_000): Promise<string> {
  const definition = protoLoader.loadSync(protoPath, { enums: String });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthClient } } } };
  const client = new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + timeoutMs }, (error, response) => (error ? reject(error) : resolve(response!.status))),
    );
  } finally {
    client.close();
  }
}
