// The line `weir status --watch` shows above the status table on every
// refresh: the job's state, restarts and latest checkpoint.
import type { CheckpointView, JobStatusView } from '@weir/protocol';

/** The latest checkpoint as one phrase: id, age, duration and size, or that there is none; with the failed ones counted. */
function lastCheckpoint(checkpoints: readonly CheckpointView[], nowMs: number): string {
  const last = checkpoints.filter((c) => c.status === 'COMPLETED').at(-1);
  const failed = checkpoints.filter((c) => c.status === 'FAILED').length;
  const failures = failed > 0 ? `, ${failed} failed` : '';
  if (!last) return `none yet${failures}`;
  const age = Math.max(0, Math.round((nowMs - last.triggeredAtMs) / 1000));
  return `#${last.checkpointId} ${age} s ago (${last.durationMs ?? 0} ms, ${(last.bytes / 1024).toFixed(1)} KiB)${failures}`;
}

/** The job's line: status, restarts and latest checkpoint. */
export function formatWatchHeader(view: JobStatusView, checkpoints: readonly CheckpointView[], nowMs: number): string {
  return `Job ${view.jobId} '${view.name}': ${view.status}, restarts ${view.restarts}, last checkpoint ${lastCheckpoint(checkpoints, nowMs)}`;
}
