// Test support: an OperatorContext for driving one operator outside a slot thread.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHECKPOINT_CONFIG, DEFAULT_RESTART_STRATEGY, type OperatorDescriptor, type StateBackendKind } from '@weir/common';
import { type TaskDeployment } from '@weir/protocol';
import { DeadLetterOutput } from '../runtime/dead-letter-output.ts';
import type { OperatorContext } from '../runtime/operator.ts';

export interface TestOperatorContextOptions {
  descriptor: OperatorDescriptor;
  fn?: unknown;
  /** The descriptor's further functions by role. */
  functions?: Record<string, unknown>;
  /** Collects what the operator emits to side outputs, by tag. */
  sideOutputs?: Map<string, unknown[]>;
  /** Collects the operator's counters. */
  counters?: Map<string, number>;
  restoredState?: unknown[];
  /** Broadcast state (entries by state name) the operator restores. */
  restoredBroadcastState?: Record<string, [unknown, unknown][]>;
  restoredCheckpointId?: number;
  checkpointing?: boolean;
  keySelector?: (record: unknown) => unknown;
  /** For a keyed two-input operator: the key selector of its second input. */
  secondKeySelector?: (record: unknown) => unknown;
  /** The input watermark the operator reads (default: -Infinity). */
  watermark?: () => number;
  subtaskIndex?: number;
  parallelism?: number;
  /** Default: an unused directory under the temp dir (nothing is created unless written). */
  deadLetterDir?: string;
  dataDir?: string;
  stateBackend?: StateBackendKind;
}

/** A one-operator deployment and the context an operator factory expects, with test defaults. */
export function testOperatorContext(options: TestOperatorContextOptions): OperatorContext {
  const { descriptor, subtaskIndex = 0, parallelism = 1 } = options;
  const deployment: TaskDeployment = {
    jobId: 'job-1',
    jobName: 'test',
    attempt: 0,
    attemptToken: 'a0',
    vertexId: descriptor.id,
    vertexName: descriptor.name,
    subtaskIndex,
    parallelism,
    maxParallelism: 128,
    slotSharingGroup: 'default',
    operators: [descriptor],
    inputs: [],
    outputs: [],
    config: {
      restartStrategy: { ...DEFAULT_RESTART_STRATEGY },
      bufferTimeoutMs: 50,
      checkpoint: { ...DEFAULT_CHECKPOINT_CONFIG },
      stateBackend: options.stateBackend ?? 'heap',
      autoWatermarkIntervalMs: 200,
    },
    args: [],
    peers: {},
    checkpointDir: null,
    restore: null,
  };
  return {
    deployment,
    descriptor,
    fn: options.fn,
    functions: options.functions ?? {},
    time: { timestamp: Number.NaN },
    sideOutput: (tag) => (record) => {
      const list = options.sideOutputs?.get(tag) ?? [];
      list.push(record);
      options.sideOutputs?.set(tag, list);
    },
    count: (name, n = 1) => options.counters?.set(name, (options.counters.get(name) ?? 0) + n),
    keySelector: options.keySelector,
    secondKeySelector: options.secondKeySelector,
    watermark: options.watermark ?? (() => Number.NEGATIVE_INFINITY),
    runtime: { jobId: 'job-1', operatorId: descriptor.id, subtaskIndex, parallelism, attempt: 0 },
    deadLetters: new DeadLetterOutput(options.deadLetterDir ?? join(tmpdir(), `weir-${descriptor.id}-unused`), descriptor.id, subtaskIndex),
    dataDir: options.dataDir ?? tmpdir(),
    cancelled: () => false,
    restoredState: options.restoredState,
    restoredBroadcastState: options.restoredBroadcastState,
    restoredCheckpointId: options.restoredCheckpointId,
    checkpointing: options.checkpointing ?? false,
    waitIdle: (wait) => wait,
  };
}
