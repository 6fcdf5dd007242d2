// Keyed state of a subtask at start (Flink's StreamTaskStateInitializer):
// opens the backend the job asks for and restores it, with the head
// operator's timers, from the checkpoint the deployment names.
import { join } from 'node:path';
import { keyGroupRangeForSubtask } from '@weir/common/runtime';
import {
  attemptStagingDirectoryName,
  INCREMENTAL_STAGING_DIRECTORY,
  LOCAL_STATE_DIRECTORY,
  localStateDirectoryName,
  subtaskFileStem,
  type TaskDeployment,
} from '@weir/protocol/runtime';
import type { ChainedOperator } from '../runtime/operator.ts';
import { HeapKeyedStateBackend } from '../state-backends/heap-keyed-state-backend.ts';
import { removeEarlierAttemptStaging } from '../state-backends/incremental-snapshot-chain.ts';
import type { KeyedStateBackend } from '../state-backends/keyed-state-backend.ts';
import { RemoteCheckpointFiles } from '../state-backends/remote-checkpoint-files.ts';
import { RocksDBKeyedStateBackend } from '../state-backends/rocksdb-keyed-state-backend.ts';
import { DELETED_STATE_ENTRY } from '../state-backends/state-value-codec.ts';

/** An opened keyed state backend. */
export interface OpenedKeyedState {
  readonly backend: KeyedStateBackend;
  /** Working directory of a RocksDB backend, removed when the task ends (durable state lives in checkpoints). */
  readonly workingDirectory: string | undefined;
}

/**
 * Opens the keyed state backend of a keyed vertex (its head follows a
 * keyBy); undefined for a vertex without keyed input.
 */
export async function openKeyedState(d: TaskDeployment, dataDir: string, checkpointing: boolean): Promise<OpenedKeyedState | undefined> {
  if (!d.inputs[0]?.keySelector) return undefined;
  const keyGroupRange = keyGroupRangeForSubtask(d.subtaskIndex, d.parallelism, d.maxParallelism);
  if (d.config.stateBackend === 'heap') return { backend: new HeapKeyedStateBackend(keyGroupRange, d.maxParallelism), workingDirectory: undefined };
  const directory = join(dataDir, LOCAL_STATE_DIRECTORY, d.jobId, localStateDirectoryName(d.attemptToken, d.vertexId, d.subtaskIndex));
  // Incremental checkpoints stage their files in the checkpoint storage, one directory per attempt and subtask
  // (locally when the storage is object storage: the files are uploaded into each checkpoint).
  let stagingDirectory: string | undefined;
  if (checkpointing) {
    const staging = RemoteCheckpointFiles.uploads(d) ? RemoteCheckpointFiles.stagingRoot(d, dataDir) : join(d.checkpointDir!, INCREMENTAL_STAGING_DIRECTORY);
    stagingDirectory = join(staging, attemptStagingDirectoryName(d.attempt, d.attemptToken), subtaskFileStem(d.vertexId, d.subtaskIndex));
    await removeEarlierAttemptStaging(staging, d.attempt);
  }
  const backend = await RocksDBKeyedStateBackend.open({ directory, keyGroupRange, maxParallelism: d.maxParallelism, stagingDirectory });
  return { backend, workingDirectory: directory };
}

/**
 * Restores the keyed state of the chain's head (`headId`) from the
 * deployment's checkpoint, if it names one. Timers are keyed state; their
 * firing order lives in memory and is rebuilt from the same pass, which
 * also collects the values of states restored from an older schema version
 * (the head's `stateMigrations`), rewritten through their migrations after it.
 */
export async function restoreKeyedState(
  d: TaskDeployment,
  backend: KeyedStateBackend,
  headId: string,
  head: ChainedOperator | undefined,
  remote: RemoteCheckpointFiles | undefined,
): Promise<void> {
  const restore = d.restore;
  if (!restore) return;
  const handles = restore.operators[headId]?.keyedState ?? [];
  if (handles.length === 0) return;
  // The files are a chain applied in order (later files overwrite and delete), so entries are collected before rebuilding.
  const timers = head?.timers;
  const migrations = new Map((head?.stateMigrations ?? []).map((m) => [m.table, m]));
  const restored = new Map<string, Map<string, unknown>>();
  const visit = {
    visits: (table: string) => (timers !== undefined && table.startsWith('timers/')) || migrations.has(table),
    entry(table: string, key: string, value: unknown): void {
      let entries = restored.get(table);
      if (!entries) restored.set(table, (entries = new Map()));
      if (value === DELETED_STATE_ENTRY) entries.delete(key);
      else entries.set(key, value);
    },
  };
  // From object storage the files are downloaded first, and removed once restored (the backend adopted them).
  const directory = remote && RemoteCheckpointFiles.downloads(d) ? await remote.fetch(restore.directory, handles) : restore.directory;
  try {
    await backend.restore(directory, handles, timers || migrations.size > 0 ? visit : undefined);
  } finally {
    if (directory !== restore.directory) await remote!.cleanUp();
  }
  for (const [table, entries] of restored) {
    const migration = migrations.get(table);
    if (migration) {
      const target = backend.table(table);
      for (const [key, value] of entries) target.set(key, migration.migrate(value));
    } else {
      for (const [key, value] of entries) timers!.service.restore(table, key, value);
    }
  }
}
