import type { JobGraph } from './job-graph.ts';

/** Version of the contract between a bundled job module and the runtime. */
export const JOB_ARTIFACT_VERSION = 1;

/** What building a job definition yields: its graph and its user functions by id. */
export interface BuiltJob {
  graph: JobGraph;
  functions: ReadonlyMap<string, unknown>;
}

/**
 * The default export of a job module (made by the SDK's `defineJob`). The
 * client calls `build` to get the JobGraph it submits; every worker thread
 * calls it again to find the user functions by the ids the graph gave them.
 */
export interface JobArtifactModule {
  readonly weirJobVersion: typeof JOB_ARTIFACT_VERSION;
  build(args: readonly string[], options?: { defaultParallelism?: number }): BuiltJob;
}

export function isJobArtifactModule(value: unknown): value is JobArtifactModule {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { weirJobVersion?: unknown }).weirJobVersion === JOB_ARTIFACT_VERSION &&
    typeof (value as { build?: unknown }).build === 'function'
  );
}
