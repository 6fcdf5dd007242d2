// The status views survive the trip through their typed messages on the
// wire unchanged, to the order of their keys: `weir status --json` prints
// what it printed when the views travelled as JSON.
import { describe, expect, it } from 'vitest';
import type { CheckpointView } from '../checkpoint-metadata.ts';
import { jobManagerService } from '../rpc.ts';
import type { ClusterView, JobStatusView } from '../views.ts';
import { checkpointFromMessage, checkpointToMessage } from './checkpoint-message.ts';
import { clusterFromMessage, clusterToMessage } from './cluster-message.ts';
import { jobFromMessage, jobToMessage } from './job-message.ts';

/** Serializes a response as the server does and reads it back as a client does. */
function overTheWire<K extends 'GetJob' | 'GetCluster' | 'ListCheckpoints'>(method: K, response: Parameters<ReturnType<typeof jobManagerService>[K]['responseSerialize']>[0]) {
  const definition = jobManagerService()[method];
  return definition.responseDeserialize(definition.responseSerialize(response as never)) as ReturnType<ReturnType<typeof jobManagerService>[K]['responseDeserialize']>;
}

const job: JobStatusView = {
  jobId: 'j1',
  name: 'orders',
  status: 'RUNNING',
  attempt: 2,
  restarts: 2,
  startTimeMs: 1_760_000_000_123,
  endTimeMs: null,
  vertices: [
    {
      id: 'v1',
      name: 'source -> map',
      operators: ['source (op1)', 'map (op2)'],
      parallelism: 3,
      subtasks: [
        {
          index: 0,
          state: 'RUNNING',
          workerId: 'w1',
          recordsIn: 0,
          recordsOut: 12_345_678_901,
          deadLetters: 0,
          inputWatermark: 1_760_000_000_500.5,
          splits: [
            { id: 'orders-0', position: '17', checkpointedPosition: '10', lag: 3, watermark: 1_760_000_000_400, idle: false },
            { id: 'orders-1', position: '0', watermark: null, idle: true, waiting: 'the broker is unreachable' },
          ],
          counters: { lateRecordsDropped: 4 },
        },
        { index: 1, state: 'RUNNING', workerId: 'w2', recordsIn: 0, recordsOut: 5, deadLetters: 0, inputWatermark: null, splits: [] },
        { index: 2, state: 'FAILED', workerId: null, recordsIn: 0, recordsOut: 0, deadLetters: 1, error: 'Error: boom\n    at map (job.ts:3:9)' },
      ],
    },
  ],
  error: 'Error: boom',
  deadLetters: 1,
  deadLetterDir: '/data/dead-letters',
  slotRequest: null,
  restartStrategy: 'fixed-delay:attempts=3,delay=1s',
};

describe('status messages', () => {
  it('carry a job status view and give it back unchanged', () => {
    const back = jobFromMessage(overTheWire('GetJob', { job: jobToMessage(job) }).job!);
    expect(JSON.stringify(back)).toBe(JSON.stringify(job));
    const ended: JobStatusView = { ...job, status: 'FINISHED', endTimeMs: 1_760_000_009_000, error: null, deadLetterDir: null, vertices: [] };
    expect(JSON.stringify(jobFromMessage(overTheWire('GetJob', { job: jobToMessage(ended) }).job!))).toBe(JSON.stringify(ended));
  });

  it('carry what a job waiting for slots needs and what the cluster has', () => {
    const slotRequest = { groups: [{ name: 'default', slots: 3 }, { name: 'heavy', slots: 1 }], slotsNeeded: 4, freeSlots: 2, totalSlots: 2, workers: 2, waitingSinceMs: 1_760_000_000_200, timeoutMs: 300_000, failsAtMs: 1_760_000_300_200 };
    const waiting: JobStatusView = { ...job, slotRequest };
    expect(JSON.stringify(jobFromMessage(overTheWire('GetJob', { job: jobToMessage(waiting) }).job!))).toBe(JSON.stringify(waiting));
    // Enough slots in the cluster, held by others: no failure time.
    const held: JobStatusView = { ...job, slotRequest: { ...slotRequest, totalSlots: 8, failsAtMs: null } };
    const message = overTheWire('GetJob', { job: jobToMessage(held) }).job!;
    expect(message.slotRequest!.failsAtMs).toBeUndefined();
    expect(jobFromMessage(message).slotRequest).toEqual(held.slotRequest);
    expect(overTheWire('GetJob', { job: jobToMessage(job) }).job!.slotRequest).toBeUndefined();
  });

  it('tell absent from zero: no end time, no watermark yet, no worker', () => {
    const message = overTheWire('GetJob', { job: jobToMessage(job) }).job!;
    expect(message.endTimeMs).toBeUndefined();
    const [first, second, third] = message.vertices[0]!.subtasks;
    expect(first).toMatchObject({ eventTime: true, inputWatermarkMs: 1_760_000_000_500.5, source: true, recordsOut: 12_345_678_901 });
    expect(second!.eventTime).toBe(true);
    expect(second!.inputWatermarkMs).toBeUndefined();
    expect(third).toMatchObject({ eventTime: false, source: false });
    expect(third!.workerId).toBeUndefined();
  });

  it('carry a cluster view with and without the leadership', () => {
    const cluster: ClusterView = {
      coordinatorId: 'c1',
      address: '10.0.0.1:6123',
      workers: [
        { workerId: 'w1', address: '10.0.0.2:6124', host: 'a', pid: 11, slots: 4, freeSlots: 1, lastHeartbeatMs: 1_760_000_000_000, connected: true },
        { workerId: 'w2', address: '10.0.0.3:6124', host: 'b', pid: 12, slots: 2, freeSlots: 0, lastHeartbeatMs: 0, connected: false },
      ],
      leadership: {
        clusterId: 'prod',
        leaseTtlSeconds: 10,
        epoch: '42',
        leader: { address: '10.0.0.1:6123', createRevision: '42' },
        standbys: [{ address: '10.0.0.4:6123', createRevision: '57' }],
      },
    };
    expect(JSON.stringify(clusterFromMessage(overTheWire('GetCluster', { cluster: clusterToMessage(cluster) }).cluster!))).toBe(JSON.stringify(cluster));
    const local: ClusterView = { coordinatorId: 'c1', address: '127.0.0.1:6123', workers: [{ workerId: 'w1', address: 'x:1', host: 'h', pid: 1, slots: 1, freeSlots: 1, lastHeartbeatMs: 5 }] };
    expect(JSON.stringify(clusterFromMessage(overTheWire('GetCluster', { cluster: clusterToMessage(local) }).cluster!))).toBe(JSON.stringify(local));
  });

  it('carry checkpoint views in flight, completed and failed', () => {
    const views: CheckpointView[] = [
      { checkpointId: 1, status: 'COMPLETED', savepoint: false, triggeredAtMs: 1_760_000_000_000, durationMs: 812, bytes: 10_000_000_000, incrementalBytes: 4096, alignmentMsMax: 1.25, syncMsMax: 0.5, asyncMsMax: 30.75, path: '/chk/chk-1', failure: null },
      { checkpointId: 2, status: 'FAILED', savepoint: true, triggeredAtMs: 0, durationMs: null, bytes: 0, incrementalBytes: 0, alignmentMsMax: 0, syncMsMax: 0, asyncMsMax: 0, path: null, failure: 'declined by v1[0]' },
      { checkpointId: 3, status: 'IN_PROGRESS', savepoint: false, triggeredAtMs: 1_760_000_001_000, durationMs: null, bytes: 0, incrementalBytes: 0, alignmentMsMax: 0, syncMsMax: 0, asyncMsMax: 0, path: null, failure: null },
    ];
    const back = overTheWire('ListCheckpoints', { checkpoints: views.map(checkpointToMessage) }).checkpoints.map(checkpointFromMessage);
    expect(JSON.stringify(back)).toBe(JSON.stringify(views));
  });
});
