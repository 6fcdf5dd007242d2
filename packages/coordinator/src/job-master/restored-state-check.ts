// The check a JobMaster runs on the checkpoint or savepoint an attempt
// restores from, before anything is deployed (see checkSavepointStates).
import { checkSavepointStates, type Logger } from '@weir/protocol';
import type { CompletedCheckpoint } from '../checkpoint/checkpoint-coordinator.ts';
import type { JobRecord } from './job-record.ts';

/**
 * Checks that the job can read the state of `checkpoint`; logs the state
 * that is dropped (with --allow-non-restored-state). Returns the failure's
 * text when it cannot (StateMigrationError, operators that are gone, key
 * groups changed), or undefined.
 */
export function checkRestoredStates(checkpoint: CompletedCheckpoint, record: JobRecord, logger: Logger): string | undefined {
  const report = checkSavepointStates(checkpoint.metadata, record.graph, record.allowNonRestoredState ?? false);
  for (const row of report.rows) {
    if (row.status === 'dropped' && record.allowNonRestoredState) {
      logger.warn({ operator: row.operator, state: row.state, directory: checkpoint.directory }, `state '${row.state}' of operator '${row.operator}' is not restored: the job has no such operator (--allow-non-restored-state)`);
    }
  }
  if (report.problems.length === 0) return undefined;
  return `the state in ${checkpoint.directory} does not fit the job:\n- ${report.problems.join('\n- ')}\n('weir savepoint check ${checkpoint.directory} <job>' shows every state)`;
}
