// Test support: TaskDeployments of one-operator subtasks wired to given
// producers and consumers, for tests of channels and their wiring.
import { DEFAULT_CHECKPOINT_CONFIG, DEFAULT_RESTART_STRATEGY } from '@weir/common';
import type { SubtaskLocation, TaskDeployment } from '@weir/protocol';

/** Where a subtask runs, as deployments name it (subtask 0 unless given). */
export function subtaskAt(vertexId: string, workerId: string, subtaskIndex = 0): SubtaskLocation {
  return { vertexId, subtaskIndex, workerId };
}

/**
 * Subtask 0 of vertex `vertexId` in attempt `attemptToken` of job `job-1`,
 * one map operator, reading from `producers` (one input) and writing to
 * `consumers` (one rebalance edge); every other worker has a dummy address.
 */
export function testTaskDeployment(vertexId: string, attemptToken: string, producers: SubtaskLocation[], consumers: SubtaskLocation[]): TaskDeployment {
  const workers = new Set([...producers, ...consumers].map((l) => l.workerId));
  return {
    jobId: 'job-1',
    jobName: 'test',
    attempt: 0,
    attemptToken,
    vertexId,
    vertexName: vertexId,
    subtaskIndex: 0,
    parallelism: 1,
    maxParallelism: 128,
    slotSharingGroup: 'default',
    operators: [{ id: vertexId, name: vertexId, kind: 'map', config: {} }],
    inputs: producers.length > 0 ? [{ inputIndex: 0, producers }] : [],
    outputs: consumers.length > 0 ? [{ partitioning: 'rebalance', maxParallelism: 128, consumers }] : [],
    config: {
      restartStrategy: { ...DEFAULT_RESTART_STRATEGY },
      bufferTimeoutMs: 50,
      checkpoint: { ...DEFAULT_CHECKPOINT_CONFIG },
      stateBackend: 'heap',
      autoWatermarkIntervalMs: 200,
    },
    args: [],
    peers: Object.fromEntries([...workers].map((w) => [w, 'localhost:1'])),
    checkpointDir: null,
    restore: null,
  };
}
