// The checkpoint view (CheckpointView, checkpoint-metadata.ts) as the typed
// ListCheckpoints message (`weir.v1.Checkpoint` of proto/weir.proto) and
// back. The coordinator maps the views its CheckpointCoordinator keeps;
// @weir/client maps the messages back for `weir checkpoints`. A field added
// to the view is added to the message, and mapped both ways, here.
import type { CheckpointView } from '../checkpoint-metadata.ts';
import type { Checkpoint, Checkpoint__Output } from '../generated/weir/v1/Checkpoint.ts';

/** A checkpoint view as the `weir.v1.Checkpoint` message. */
export function checkpointToMessage(view: CheckpointView): Checkpoint {
  return {
    checkpointId: view.checkpointId,
    status: view.status,
    savepoint: view.savepoint,
    triggeredAtMs: view.triggeredAtMs,
    ...(view.durationMs !== null ? { durationMs: view.durationMs } : {}),
    bytes: view.bytes,
    incrementalBytes: view.incrementalBytes,
    alignmentMsMax: view.alignmentMsMax,
    syncMsMax: view.syncMsMax,
    asyncMsMax: view.asyncMsMax,
    ...(view.path !== null ? { path: view.path } : {}),
    ...(view.failure !== null ? { failure: view.failure } : {}),
  };
}

/** The `weir.v1.Checkpoint` message as the view it was made from. */
export function checkpointFromMessage(message: Checkpoint__Output): CheckpointView {
  return {
    checkpointId: message.checkpointId,
    status: message.status as CheckpointView['status'],
    savepoint: message.savepoint,
    triggeredAtMs: message.triggeredAtMs,
    durationMs: message.durationMs ?? null,
    bytes: message.bytes,
    incrementalBytes: message.incrementalBytes,
    alignmentMsMax: message.alignmentMsMax,
    syncMsMax: message.syncMsMax,
    asyncMsMax: message.asyncMsMax,
    path: message.path ?? null,
    failure: message.failure ?? null,
  };
}
