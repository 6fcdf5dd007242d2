// The JobManager service's job calls (leader only): submit, list, status,
// cancel, checkpoints and savepoints. They hand over to the Dispatcher and
// the job's JobMaster.
import { checkpointToMessage, jobToMessage, resolveLocation, type JobManagerHandlers } from '@weir/protocol';
import type { Dispatcher } from '../dispatcher/dispatcher.ts';
import type { Term } from '../leader-term.ts';
import type { UnaryFactory } from './unary-handler.ts';

/** What the job calls are served from. */
export interface JobHandlerHost {
  unary: UnaryFactory;
  dispatcher: Dispatcher;
  /** The current term; throws on a standby. */
  leadingTerm: () => Term;
}

/** The handlers of SubmitJob, ListJobs, GetJob, CancelJob, ListCheckpoints and TriggerSavepoint. */
export function jobHandlers({ unary, dispatcher, leadingTerm }: JobHandlerHost): Pick<JobManagerHandlers, 'SubmitJob' | 'ListJobs' | 'GetJob' | 'CancelJob' | 'ListCheckpoints' | 'TriggerSavepoint'> {
  return {
    SubmitJob: unary(async (req) => dispatcher.submit(leadingTerm(), req)),
    ListJobs: unary(async () => ({
      jobs: [...dispatcher.all()].map((j) => ({
        jobId: j.record.jobId,
        name: j.record.name,
        status: j.jobStatus,
        startTimeMs: j.record.submittedAtMs,
        endTimeMs: j.endTime ?? 0,
      })),
    })),
    GetJob: unary(async (req) => ({ job: jobToMessage(dispatcher.job(req.jobId).view()) })),
    CancelJob: unary(async (req) => {
      const job = dispatcher.job(req.jobId);
      job.cancel();
      return { status: job.jobStatus };
    }),
    ListCheckpoints: unary(async (req) => ({ checkpoints: dispatcher.job(req.jobId).checkpoints.views().map(checkpointToMessage) })),
    TriggerSavepoint: unary(async (req) => {
      if (!req.directory) throw new Error('a savepoint needs a target directory: weir savepoint <jobId> <dir>');
      return { path: await dispatcher.job(req.jobId).savepoint(resolveLocation(req.directory), req.stop) };
    }),
  };
}
