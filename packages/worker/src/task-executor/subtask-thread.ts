import type { Transferable, Worker } from 'node:worker_threads';
import {
  attemptSubtaskKey,
  isTerminalExecutionState,
  type ExecutionState,
  type Frame,
  type SubtaskCheckpointAck,
  type TaskDeployment,
  type TaskMetrics,
} from '@weir/protocol';
import type { LocalChannelPort } from '../network/local-channel-port.ts';
import type { MainToSlot, SlotToMain } from '../stream-task/thread-protocol.ts';

export interface SubtaskThreadEvents {
  onFrame(thread: SubtaskThread, channel: string, frame: Frame): void;
  onCredit(thread: SubtaskThread, channel: string, credits: number): void;
  onState(thread: SubtaskThread, state: ExecutionState, error?: string): void;
  onCheckpointAck(thread: SubtaskThread, ack: SubtaskCheckpointAck): void;
  onCheckpointDeclined(thread: SubtaskThread, checkpointId: number, reason: string): void;
}

/**
 * The main thread's handle on one slot thread running one subtask. It turns
 * the thread's exit without a final state into a failure, so no subtask
 * disappears silently.
 */
export class SubtaskThread {
  readonly deployment: TaskDeployment;
  readonly key: string;
  state: ExecutionState = 'DEPLOYING';
  metrics: TaskMetrics;
  deadLetterDir: string | null = null;
  /** The subtask FAILED with an error no restart can cure (a NonRecoverableError in the thread). */
  nonRecoverable = false;
  /** When the subtask was handed its thread (for the logs). */
  readonly createdAtMs = Date.now();
  private readonly worker: Worker;
  private readonly events: SubtaskThreadEvents;

  /** `worker`: a slot thread started for it (see SlotThreadPool), which may still be loading. */
  constructor(deployment: TaskDeployment, events: SubtaskThreadEvents, worker: Worker) {
    this.deployment = deployment;
    this.events = events;
    this.key = attemptSubtaskKey(deployment.jobId, deployment.attempt, deployment.vertexId, deployment.subtaskIndex);
    this.metrics = {
      jobId: deployment.jobId,
      attempt: deployment.attempt,
      vertexId: deployment.vertexId,
      subtaskIndex: deployment.subtaskIndex,
      recordsIn: 0,
      recordsOut: 0,
      deadLetters: 0,
      backpressuredFrames: 0,
    };
    this.worker = worker;
    this.worker.on('message', (message: SlotToMain) => this.onMessage(message));
    this.worker.on('error', (error) => this.finish('FAILED', `the subtask's thread crashed: ${error.stack ?? error.message}`));
    this.worker.on('exit', (code) => {
      if (!isTerminalExecutionState(this.state)) this.finish('FAILED', `the subtask's thread exited with code ${code} before finishing`);
    });
  }

  /** Deploys the subtask on its thread; `localChannels`: the ends of its local channels, transferred to the thread. */
  start(artifactPath: string, dataDir: string, initialCredits: number, localChannels: LocalChannelPort[] = []): void {
    this.post(
      { type: 'deploy', deployment: this.deployment, artifactPath, dataDir, initialCredits, localChannels },
      localChannels.map((c) => c.port),
    );
  }

  postFrame(channel: string, frame: Frame): void {
    this.post({ type: 'frame', channel, frame }, [frame.payload.buffer as ArrayBuffer]);
  }

  postCredit(channel: string, credits: number): void {
    this.post({ type: 'credit', channel, credits });
  }

  cancel(): void {
    if (!isTerminalExecutionState(this.state)) {
      this.state = 'CANCELING';
      this.post({ type: 'cancel' });
    }
  }

  fail(reason: string): void {
    this.post({ type: 'fail', reason });
  }

  get isSource(): boolean {
    return this.deployment.inputs.length === 0;
  }

  triggerCheckpoint(checkpointId: number, stopSources: boolean): void {
    this.post({ type: 'trigger-checkpoint', checkpointId, stopSources });
  }

  checkpointComplete(checkpointId: number): void {
    this.post({ type: 'checkpoint-complete', checkpointId });
  }

  /** Stops the thread at once (a subtask that ignores cancellation). */
  async terminate(finalState: ExecutionState = 'CANCELED'): Promise<void> {
    if (!isTerminalExecutionState(this.state)) this.finish(finalState);
    await this.worker.terminate();
  }

  private post(message: MainToSlot, transfer: Transferable[] = []): void {
    if (isTerminalExecutionState(this.state)) return;
    this.worker.postMessage(message, transfer);
  }

  private onMessage(message: SlotToMain): void {
    switch (message.type) {
      case 'frame':
        this.events.onFrame(this, message.channel, message.frame);
        return;
      case 'credit':
        this.events.onCredit(this, message.channel, message.credits);
        return;
      case 'checkpoint-ack':
        this.events.onCheckpointAck(this, message.ack);
        return;
      case 'checkpoint-declined':
        this.events.onCheckpointDeclined(this, message.checkpointId, message.reason);
        return;
      case 'metrics':
        this.metrics = message.metrics;
        this.deadLetterDir = message.deadLetterDir;
        return;
      case 'state':
        if (isTerminalExecutionState(message.state)) {
          this.nonRecoverable = message.nonRecoverable === true;
          this.finish(message.state, message.error);
          void this.worker.terminate();
        } else {
          this.state = message.state;
          this.events.onState(this, message.state, message.error);
        }
        return;
    }
  }

  private finish(state: ExecutionState, error?: string): void {
    if (isTerminalExecutionState(this.state)) return;
    this.state = state;
    this.events.onState(this, state, error);
  }
}
