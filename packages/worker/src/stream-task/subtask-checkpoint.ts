// A subtask's part in checkpoints (Flink's SubtaskCheckpointCoordinator):
// takes a snapshot between two records, forwards the barrier, writes keyed
// state asynchronously and acknowledges; runs the commits of completed
// checkpoints in order.
import { join } from 'node:path';
import { describeError } from '@weir/common/runtime';
import { checkpointDirectoryName, FrameKind, keyedStateFileName, keyedStateFileStem, type OperatorSubtaskState, type TaskDeployment } from '@weir/protocol/runtime';
import type { TaskOutput } from '../network/task-output.ts';
import type { KeyedStateBackend, KeyedStateSnapshot } from '../state-backends/keyed-state-backend.ts';
import type { RemoteCheckpointFiles } from '../state-backends/remote-checkpoint-files.ts';
import type { OperatorChain } from './operator-chain.ts';
import type { SlotToMain } from './thread-protocol.ts';

/** What the checkpoint handling needs from its task. */
export interface SubtaskCheckpointEnvironment {
  readonly deployment: TaskDeployment;
  readonly chain: OperatorChain;
  readonly output: TaskOutput;
  /** Checkpoints on object storage: state files are written locally, then uploaded. */
  readonly remoteFiles: RemoteCheckpointFiles | undefined;
  post(message: SlotToMain): void;
  keyedState(): KeyedStateBackend | undefined;
  /** A commit of a completed checkpoint finished (the task may be waiting for it). */
  onCommitted(): void;
  /** A commit failed: the task fails. */
  onCommitFailed(reason: string): void;
}

/**
 * Takes checkpoints for one subtask and runs the commits of completed ones.
 */
export class SubtaskCheckpoint {
  private readonly env: SubtaskCheckpointEnvironment;
  /** Snapshot writes in flight: while any is, the task yields after every frame so the writer gets its turn. */
  writesInFlight = 0;
  /** The newest checkpoint known to be complete everywhere. */
  completedCheckpointId = 0;
  private commits: Promise<void> = Promise.resolve();

  constructor(env: SubtaskCheckpointEnvironment) {
    this.env = env;
  }

  /**
   * Takes checkpoint `checkpointId`: the synchronous part (operator state,
   * a keyed-state snapshot) between two records, then forwards the barrier,
   * then writes keyed state asynchronously and acknowledges. Returns false
   * when the checkpoint was declined (no barrier was sent).
   */
  async take(checkpointId: number, alignmentMs: number): Promise<boolean> {
    const { deployment: d, chain } = this.env;
    const started = performance.now();
    let operators: Record<string, OperatorSubtaskState>;
    let keyedSnapshot: KeyedStateSnapshot | undefined;
    try {
      operators = await chain.snapshotState(checkpointId);
      const state = this.env.keyedState();
      keyedSnapshot = state ? await state.snapshot() : undefined;
    } catch (error) {
      this.env.post({ type: 'checkpoint-declined', checkpointId, reason: describeError(error) });
      return false;
    }
    this.env.output.broadcastEvent(FrameKind.Barrier, 0, checkpointId);
    const syncMs = performance.now() - started;
    const headId = chain.headId;
    this.writesInFlight++;
    void (async () => {
      const asyncStarted = performance.now();
      try {
        let bytes = 0;
        let incrementalBytes = 0;
        if (keyedSnapshot) {
          const remote = this.env.remoteFiles?.uploading === true && this.env.remoteFiles.localCheckpointDirectory(checkpointId);
          const directory = remote || join(d.checkpointDir!, checkpointDirectoryName(checkpointId));
          const stem = keyedStateFileStem(d.vertexId, d.subtaskIndex);
          if (keyedSnapshot.writeIncremental) {
            const { handles, writtenBytes } = await keyedSnapshot.writeIncremental(directory, stem);
            operators[headId]!.keyedState.push(...handles);
            for (const handle of handles) bytes += handle.bytes;
            incrementalBytes += writtenBytes;
          } else {
            const handle = await keyedSnapshot.write(directory, keyedStateFileName(stem));
            operators[headId]!.keyedState.push(handle);
            bytes += handle.bytes;
            incrementalBytes += handle.bytes;
          }
          if (remote) await this.env.remoteFiles!.publish(checkpointId, operators[headId]!.keyedState);
        }
        this.env.post({
          type: 'checkpoint-ack',
          ack: {
            jobId: d.jobId,
            attempt: d.attempt,
            checkpointId,
            vertexId: d.vertexId,
            subtaskIndex: d.subtaskIndex,
            operators,
            bytes,
            incrementalBytes,
            alignmentMs,
            syncMs,
            asyncMs: performance.now() - asyncStarted,
          },
        });
      } catch (error) {
        this.env.post({ type: 'checkpoint-declined', checkpointId, reason: describeError(error) });
      } finally {
        keyedSnapshot?.release();
        this.writesInFlight--;
      }
    })();
    return true;
  }

  /** Checkpoint `checkpointId` completed everywhere: the chain commits, after earlier commits. */
  notifyComplete(checkpointId: number): void {
    this.commits = this.commits
      .then(async () => {
        if (checkpointId <= this.completedCheckpointId) return;
        this.completedCheckpointId = checkpointId;
        await this.env.chain.notifyCheckpointComplete(checkpointId);
        this.env.onCommitted();
      })
      .catch((error: unknown) => this.env.onCommitFailed(`committing checkpoint ${checkpointId} failed: ${describeError(error)}`));
  }

  /** Resolves once the commits started so far have finished. */
  committed(): Promise<void> {
    return this.commits;
  }
}
