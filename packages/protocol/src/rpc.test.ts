// Typed gRPC plumbing against a real server: what handlers receive matches the
// generated `__Output` types (PROTO_LOADER_OPTIONS), unary calls resolve with
// the response, and the compile-time checks on method names, requests and
// handler sets (the @ts-expect-error lines fail `tsc --build` if they pass).
import { afterEach, describe, expect, it } from 'vitest';
import {
  addTaskExecutorService,
  bindServer,
  grpc,
  SERVER_OPTIONS,
  taskExecutorClient,
  unaryCall,
  type ServiceHandlers,
  type TaskExecutorClient,
  type TaskExecutorHandlers,
} from './index.ts';
import type { ExchangeMessage__Output, TriggerCheckpointRequest__Output } from './rpc-messages.ts';

/** A TaskExecutor whose handlers record what they receive. */
function recordingHandlers(received: unknown[]): ServiceHandlers<TaskExecutorHandlers> {
  const ok = (call: { request: unknown }, cb: grpc.sendUnaryData<object>): void => {
    received.push(call.request);
    cb(null, {});
  };
  return {
    DeployTasks: ok,
    CancelTasks: ok,
    ReleaseJob: ok,
    TriggerCheckpoint: ok,
    NotifyCheckpointComplete: (call, cb) => {
      if (call.request.jobId === 'refuse') cb({ code: grpc.status.FAILED_PRECONDITION, details: 'refused' });
      else ok(call, cb);
    },
    Exchange: (call, cb) => {
      call.on('data', (message: ExchangeMessage__Output) => received.push(message));
      call.on('end', () => cb(null, {}));
    },
  };
}

// Never called: its body is checked by the compiler only.
function _compileTimeChecks(client: TaskExecutorClient, server: grpc.Server, handlers: ServiceHandlers<TaskExecutorHandlers>): void {
  // @ts-expect-error a client-streaming method is not a unary one
  void unaryCall(client, 'exchange', {});
  // @ts-expect-error methods are named in camelCase
  void unaryCall(client, 'TriggerCheckpoint', {});
  // @ts-expect-error not a method of the TaskExecutor service
  void unaryCall(client, 'triggerCheckpoints', {});
  // @ts-expect-error not a field of TriggerCheckpointRequest
  void unaryCall(client, 'triggerCheckpoint', { checkpointID: 1 });
  // @ts-expect-error the response of TriggerCheckpoint has no fields
  void unaryCall(client, 'triggerCheckpoint', {}).then((response) => response.path);
  const { DeployTasks: _deploy, ...withoutDeploy } = handlers;
  // @ts-expect-error every method needs its handler
  addTaskExecutorService(server, withoutDeploy);
  // @ts-expect-error a handler for a method the service does not have
  addTaskExecutorService(server, { ...handlers, DeployTask: handlers.DeployTasks });
}

describe('typed gRPC services', () => {
  let server: grpc.Server | undefined;
  let client: TaskExecutorClient | undefined;

  afterEach(() => {
    client?.close();
    server?.forceShutdown();
  });

  async function start(received: unknown[]): Promise<TaskExecutorClient> {
    server = new grpc.Server(SERVER_OPTIONS);
    addTaskExecutorService(server, recordingHandlers(received));
    const port = await bindServer(server, '127.0.0.1', 0, grpc.ServerCredentials.createInsecure());
    client = taskExecutorClient(`127.0.0.1:${port}`);
    return client;
  }

  it('hands handlers requests with every field filled and 64-bit integers as numbers', async () => {
    const received: unknown[] = [];
    const c = await start(received);
    const response = await unaryCall(c, 'triggerCheckpoint', { jobId: 'j1', checkpointId: 2 ** 40 + 7 });
    expect(response).toEqual({});
    const expected: TriggerCheckpointRequest__Output = { jobId: 'j1', attempt: 0, checkpointId: 2 ** 40 + 7, stopSources: false, leaderEpoch: 0 };
    expect(received).toEqual([expected]);
  });

  it('streams exchange messages with byte payloads and double watermarks', async () => {
    const received: unknown[] = [];
    const c = await start(received);
    await new Promise<void>((resolve, reject) => {
      const call = c.exchange((error) => (error ? reject(error) : resolve()));
      call.write({ channel: 'c1', kind: 1, payload: new Uint8Array([1, 2, 3]), recordCount: 1, watermark: 1.5, checkpointId: 0, credits: 0 });
      call.write({ channel: 'c1', kind: 0xff, credits: 4 });
      call.end();
    });
    expect(received).toHaveLength(2);
    const [frame, credit] = received as ExchangeMessage__Output[];
    expect(Buffer.isBuffer(frame!.payload)).toBe(true);
    expect([...frame!.payload]).toEqual([1, 2, 3]);
    expect(frame!.watermark).toBe(1.5);
    expect(credit).toMatchObject({ channel: 'c1', kind: 0xff, credits: 4, recordCount: 0, payload: Buffer.alloc(0) });
  });

  it('rejects a unary call with the status the handler answered', async () => {
    const c = await start([]);
    const error = await unaryCall(c, 'notifyCheckpointComplete', { jobId: 'refuse' }).then(() => undefined, (e: grpc.ServiceError) => e);
    expect(error?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(error?.details).toBe('refused');
  });

});
