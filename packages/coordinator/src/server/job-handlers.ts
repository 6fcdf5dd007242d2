// The JobManager service's job calls (leader only): submit, list, status,
// cancel, checkpoints and savepoints. They hand over to the Dispatcher and
// the job's JobMaster.
import { checkpointToMessage, jobToMessage, type JobManagerHandlers, type JobStatus } from '@weir/protocol';
import type { Dispatcher } from '../dispatcher/dispatcher.ts';
import type { JobMaster } from '../job-master/job-master.ts';
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
    ListJobs: unary(async () => ({ jobs: jobSummaries(dispatcher).map((j) => ({ ...j, endTimeMs: j.endTimeMs ?? 0 })) })),
    GetJob: unary(async (req) => ({ job: jobToMessage(dispatcher.job(req.jobId).view()) })),
    CancelJob: unary(async (req) => ({ status: cancelJob(dispatcher.job(req.jobId)) })),
    ListCheckpoints: unary(async (req) => ({ checkpoints: dispatcher.job(req.jobId).checkpoints.views().map(checkpointToMessage) })),
    TriggerSavepoint: unary(async (req) => {
      if (!req.directory) throw new Error('a savepoint needs a target directory: weir savepoint <jobId> <dir>');
      return { path: await triggerSavepoint(dispatcher, dispatcher.job(req.jobId), req.directory, req.stop) };
    }),
  };
}

/** One line of the job list (ListJobs, and GET /jobs of the REST API). */
export interface JobSummary {
  jobId: string;
  name: string;
  status: JobStatus;
  startTimeMs: number;
  /** null while the job has not ended. */
  endTimeMs: number | null;
}

/** Every job this coordinator knows, as the job list shows it. */
export function jobSummaries(dispatcher: Dispatcher): JobSummary[] {
  return [...dispatcher.all()].map((j) => ({
    jobId: j.record.jobId,
    name: j.record.name,
    status: j.jobStatus,
    startTimeMs: j.record.submittedAtMs,
    endTimeMs: j.endTime,
  }));
}

/** Cancels a job (CancelJob, and the REST API's cancel); resolves with its status right after. */
export function cancelJob(job: JobMaster): JobStatus {
  job.cancel();
  return job.jobStatus;
}

/**
 * Takes a savepoint under `directory` (a path, relative to the coordinator's
 * working directory, or `s3://bucket/prefix`, under one of the savepoint
 * roots); with `stop`, the job then ends.
 */
export async function triggerSavepoint(dispatcher: Dispatcher, job: JobMaster, directory: string, stop: boolean): Promise<string> {
  return job.savepoint(dispatcher.savepointLocations.resolve('directory', directory), stop);
}
