/** The life cycle of one subtask attempt (Flink's ExecutionState). */
export const EXECUTION_STATES = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED'] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];

export function isTerminalExecutionState(state: ExecutionState): boolean {
  return state === 'FINISHED' || state === 'CANCELED' || state === 'FAILED';
}

/** The life cycle of a job (Flink's JobStatus). */
export const JOB_STATUSES = ['CREATED', 'RUNNING', 'RESTARTING', 'FAILING', 'CANCELLING', 'FINISHED', 'FAILED', 'CANCELED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export function isTerminalJobStatus(status: JobStatus): boolean {
  return status === 'FINISHED' || status === 'FAILED' || status === 'CANCELED';
}
