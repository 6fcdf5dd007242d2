// The layout of checkpoint storage and of a worker's local state, written by
// workers and read by coordinators: directory and file names in one place.
//
//   <checkpointDir>/                   the cluster's checkpoint storage (a directory, or s3://bucket/prefix: the same names as keys)
//     _artifacts/                      job code (etcd mode: every coordinator reads it)
//     <jobId>/                         a job's checkpoints (the deployment's checkpointDir)
//       chk-<id>/                      one checkpoint
//         _metadata                    written last (via _metadata.tmp): a directory without it is no checkpoint
//         keyed-<vertex>-<i>.state     a subtask's keyed state (full snapshot)
//         keyed-<vertex>-<i>.<n>.state the files of an incremental chain, in order
//       _incremental/<attempt>-<token>/<vertex>-<i>/   staging of incremental snapshot files
//   <worker dataDir>/state/<jobId>/<token>-<vertex>-<i>/  a subtask's local RocksDB
//
// Savepoints are a checkpoint's layout in a new directory the coordinator
// creates (exclusively: never one that exists) under a directory of the user's
// choosing (by default `savepoints`):
//
//   <target>/savepoint-<first 6 of the job id>-<12 random hex>/   one savepoint
//     _metadata, keyed-*.state          as in a checkpoint, paths relative

/** The metadata file of a checkpoint or savepoint directory. */
export const CHECKPOINT_METADATA_FILE = '_metadata';

/** What a file is called while it is written, before the rename that publishes it. */
export function temporaryFileName(name: string): string {
  return `${name}.tmp`;
}

/** The directory of checkpoint storage that keeps job code when coordinators share it (etcd mode). */
export const ARTIFACTS_DIRECTORY = '_artifacts';

/** The directory of a job's checkpoint storage under which backends stage incremental snapshot files. */
export const INCREMENTAL_STAGING_DIRECTORY = '_incremental';

/** The directory of a worker's data dir that holds the subtasks' local keyed state. */
export const LOCAL_STATE_DIRECTORY = 'state';

/** The directory (relative to where `weir savepoint` runs) of savepoints taken without a target. */
export const DEFAULT_SAVEPOINTS_DIRECTORY = 'savepoints';

const CHECKPOINT_DIRECTORY = /^chk-(\d+)$/;

/** `chk-<id>`: a checkpoint's directory in its job's checkpoint storage. */
export function checkpointDirectoryName(checkpointId: number): string {
  return `chk-${checkpointId}`;
}

/** The checkpoint id of a `chk-<id>` directory name; `undefined` for any other name. */
export function parseCheckpointDirectoryName(name: string): number | undefined {
  const match = CHECKPOINT_DIRECTORY.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** `<vertex>-<subtaskIndex>`, with `/` in the vertex id replaced: names a subtask's files and directories. */
export function subtaskFileStem(vertexId: string, subtaskIndex: number): string {
  return `${vertexId.replaceAll('/', '_')}-${subtaskIndex}`;
}

/** `keyed-<vertex>-<subtaskIndex>`: the stem of a subtask's keyed-state files in a checkpoint directory. */
export function keyedStateFileStem(vertexId: string, subtaskIndex: number): string {
  return `keyed-${subtaskFileStem(vertexId, subtaskIndex)}`;
}

/** `<stem>.state`: a keyed-state file (a full snapshot). */
export function keyedStateFileName(stem: string): string {
  return `${stem}.state`;
}

/** `<stem>.<position>.state`: the file at `position` of an incremental chain placed in a checkpoint directory. */
export function chainFileName(stem: string, position: number): string {
  return `${stem}.${position}.state`;
}

/** `<kind>-<n>.state`: a file of an incremental chain in its staging directory. */
export function stagedFileName(kind: string, n: number): string {
  return `${kind}-${n}.state`;
}

/** `<attempt>-<attemptToken>`: an attempt's directory under `INCREMENTAL_STAGING_DIRECTORY`. */
export function attemptStagingDirectoryName(attempt: number, attemptToken: string): string {
  return `${attempt}-${attemptToken}`;
}

/** The attempt of an `attemptStagingDirectoryName`; NaN for any other name. */
export function parseAttemptStagingDirectoryName(name: string): number {
  return Number(/^(\d+)-/.exec(name)?.[1] ?? Number.NaN);
}

/** `<attemptToken>-<vertex>-<subtaskIndex>`: a subtask's local state directory under `LOCAL_STATE_DIRECTORY/<jobId>`. */
export function localStateDirectoryName(attemptToken: string, vertexId: string, subtaskIndex: number): string {
  return `${attemptToken}-${subtaskFileStem(vertexId, subtaskIndex)}`;
}

/**
 * `savepoint-<first 6 of the job id>-<random>` (Flink's naming): the name of a
 * new savepoint directory under the target the user gave. `random` is 12 hex
 * digits (6 random bytes), so two savepoints never pick the same name in practice;
 * the directory is still created exclusively, so a collision fails rather than overwrites.
 */
export function savepointDirectoryName(jobId: string, random: string): string {
  if (!/^[0-9a-f]{12}$/.test(random)) throw new Error(`a savepoint directory name needs 12 random hex digits, got ${JSON.stringify(random)}`);
  return `savepoint-${jobId.slice(0, 6)}-${random}`;
}

