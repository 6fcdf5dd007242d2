// One message of a registered worker's session (heartbeat, task state,
// checkpoint acknowledgement or decline): validated, checked against what
// the worker runs, then handed to the registry or the job. A message that
// fails a check changes nothing; the caller logs the error it throws.
import { subtaskCheckpointAckSchema, subtaskId, type WorkerMessage__Output } from '@weir/protocol';
import type { Dispatcher } from '../dispatcher/dispatcher.ts';
import type { RegisteredWorker, WorkerRegistry } from '../resource-manager/worker-registry.ts';
import {
  boundedText,
  checkpointDeclinedSchema,
  metricsEntrySchema,
  metricsReportSchema,
  parseJsonMessage,
  parseMessage,
  taskStateUpdateSchema,
  WORKER_MESSAGE_LIMITS,
} from './worker-message-schemas.ts';

/** Applies one message of registered worker `worker`; throws (naming the field) when it is malformed or not the worker's to send. */
export function handleWorkerMessage(message: WorkerMessage__Output, worker: RegisteredWorker, registry: WorkerRegistry, dispatcher: Dispatcher): void {
  if (message.heartbeat) {
    const metricsJson = message.heartbeat.metricsJson;
    const report = metricsJson ? parseJsonMessage('the heartbeat metrics', metricsJson, WORKER_MESSAGE_LIMITS.maxMetricsJsonBytes, metricsReportSchema) : null;
    registry.heartbeat(worker.workerId, report);
    for (const job of dispatcher.all()) job.onHeartbeat(worker);
  } else if (message.taskState) {
    const update = parseMessage('the task state update', message.taskState, taskStateUpdateSchema);
    if (update.metricsJson) parseJsonMessage('the final metrics of the task state update', update.metricsJson, WORKER_MESSAGE_LIMITS.maxMetricsJsonBytes, metricsEntrySchema);
    dispatcher.get(update.jobId)?.onTaskState({ ...update, error: boundedText(update.error) }, worker);
  } else if (message.checkpointAck) {
    const ack = parseJsonMessage('the checkpoint acknowledgement', message.checkpointAck.ackJson, WORKER_MESSAGE_LIMITS.maxAckJsonBytes, subtaskCheckpointAckSchema);
    const job = dispatcher.get(ack.jobId);
    if (!job) return;
    if (!job.runsOn(ack.attempt, ack.vertexId, ack.subtaskIndex, worker.workerId)) {
      throw new Error(`worker ${worker.workerId} acknowledged checkpoint ${ack.checkpointId} for subtask ${subtaskId(ack.vertexId, ack.subtaskIndex)} of attempt ${ack.attempt}, which it does not run`);
    }
    job.checkpoints.onAck(ack);
  } else if (message.checkpointDeclined) {
    const d = parseMessage('the checkpoint decline', message.checkpointDeclined, checkpointDeclinedSchema);
    const job = dispatcher.get(d.jobId);
    if (!job) return;
    if (!job.runsOn(d.attempt, d.vertexId, d.subtaskIndex, worker.workerId)) {
      throw new Error(`worker ${worker.workerId} declined checkpoint ${d.checkpointId} for subtask ${subtaskId(d.vertexId, d.subtaskIndex)} of attempt ${d.attempt}, which it does not run`);
    }
    job.checkpoints.onDecline(d.checkpointId, d.attempt, subtaskId(d.vertexId, d.subtaskIndex), boundedText(d.reason));
  } else {
    throw new Error('the worker message carries no known body (register, heartbeat, task_state, checkpoint_ack, checkpoint_declined)');
  }
}
