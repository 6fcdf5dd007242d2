import type { ExecutionState, Frame, SubtaskCheckpointAck, TaskDeployment, TaskMetrics } from '@weir/protocol/runtime';
import type { LocalChannelPort } from '../network/local-channel-port.ts';

// Messages between a worker's main thread and its slot threads. Frame
// payloads are transferred, never copied. Frames and credits here are those
// of remote channels; a local channel has a MessagePort of its own, handed
// over (transferred) in the deployment.

export type MainToSlot =
  | { type: 'deploy'; deployment: TaskDeployment; artifactPath: string; dataDir: string; initialCredits: number; localChannels: LocalChannelPort[] }
  | { type: 'frame'; channel: string; frame: Frame }
  | { type: 'credit'; channel: string; credits: number }
  | { type: 'cancel' }
  | { type: 'fail'; reason: string }
  /** To source subtasks: take checkpoint `checkpointId`; with stopSources, emit nothing after it (until a checkpoint without it). */
  | { type: 'trigger-checkpoint'; checkpointId: number; stopSources: boolean }
  | { type: 'checkpoint-complete'; checkpointId: number };

export type SlotToMain =
  | { type: 'frame'; channel: string; frame: Frame }
  | { type: 'credit'; channel: string; credits: number }
  | { type: 'state'; state: ExecutionState; error?: string; nonRecoverable?: boolean }
  | { type: 'metrics'; metrics: TaskMetrics; deadLetterDir: string | null }
  | { type: 'checkpoint-ack'; ack: SubtaskCheckpointAck }
  | { type: 'checkpoint-declined'; checkpointId: number; reason: string };
