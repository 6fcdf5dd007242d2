// Every RPC method of proto/weir.proto is served: on a real `weir local`, the
// coordinator answers each JobManager method and a worker each TaskExecutor
// method with something other than UNIMPLEMENTED (what grpc-js answers for a
// method without a handler). The methods come from the loaded proto, so a
// method added to it without a handler fails here.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpc, jobManagerService, taskExecutorService } from '@weir/protocol';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { TEST_TLS } from './helpers/test-tls.ts';

let cluster: TestCluster;
let workerAddress: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 1, slots: 1 });
  workerAddress = await eventually(async () => (await cluster.cluster()).workers[0]?.address, 30_000, 'the worker to register');
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

/** Calls `method` with an empty request (and an empty, ended request stream) and resolves with the status code. */
function probe(client: grpc.Client, method: grpc.MethodDefinition<object, object>): Promise<grpc.status> {
  const options = { deadline: Date.now() + 10_000 };
  const { path, requestSerialize: serialize, responseDeserialize: deserialize } = method;
  return new Promise((resolve) => {
    const done = (error: grpc.ServiceError | null): void => resolve(error ? error.code : grpc.status.OK);
    if (!method.requestStream && !method.responseStream) {
      client.makeUnaryRequest(path, serialize, deserialize, {}, options, done);
    } else if (method.requestStream && !method.responseStream) {
      client.makeClientStreamRequest(path, serialize, deserialize, options, done).end();
    } else {
      const duplex = method.requestStream ? client.makeBidiStreamRequest(path, serialize, deserialize, options) : undefined;
      const call = duplex ?? client.makeServerStreamRequest(path, serialize, deserialize, {}, options);
      call.on('data', () => {});
      call.on('error', () => {});
      call.on('status', (status: grpc.StatusObject) => resolve(status.code));
      duplex?.end();
    }
  });
}

/** The status each method of `service` answers at `address` with, asked over mutual TLS as a cluster member. */
async function probeAll(address: string, service: grpc.ServiceDefinition): Promise<Record<string, string>> {
  const credentials = grpc.credentials.createSsl(readFileSync(TEST_TLS.caFile), readFileSync(TEST_TLS.keyFile), readFileSync(TEST_TLS.certFile));
  const client = new grpc.Client(address, credentials);
  try {
    const answers: Record<string, string> = {};
    for (const [name, method] of Object.entries(service)) answers[name] = grpc.status[await probe(client, method)]!;
    return answers;
  } finally {
    client.close();
  }
}

/** The methods answered UNIMPLEMENTED; none may be UNAVAILABLE (the probe reached the process). */
const unimplemented = (answers: Record<string, string>): string[] => {
  expect(Object.keys(answers).filter((name) => answers[name] === 'UNAVAILABLE'), JSON.stringify(answers)).toEqual([]);
  return Object.keys(answers).filter((name) => answers[name] === 'UNIMPLEMENTED');
};

describe('gRPC services', () => {
  it('the coordinator has a handler for every JobManager method', async () => {
    const answers = await probeAll(cluster.address, jobManagerService());
    expect(Object.keys(answers)).toContain('WorkerSession');
    expect(unimplemented(answers), JSON.stringify(answers)).toEqual([]);
  });

  it('a worker has a handler for every TaskExecutor method', async () => {
    const answers = await probeAll(workerAddress, taskExecutorService());
    expect(Object.keys(answers)).toContain('Exchange');
    expect(unimplemented(answers), JSON.stringify(answers)).toEqual([]);
  });

  it('the probe sees a missing handler: a worker implements no JobManager method', async () => {
    const answers = await probeAll(workerAddress, jobManagerService());
    expect(unimplemented(answers)).toEqual(Object.keys(jobManagerService()));
  });
});
