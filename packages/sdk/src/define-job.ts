import { JOB_ARTIFACT_VERSION, type BuiltJob, type JobArtifactModule } from '@weir/common';
import { StreamExecutionEnvironment } from './environment.ts';
import { JobBuilder } from './job-builder.ts';

/** The function that defines a job's pipeline. It must build the same graph every time it runs with the same arguments. */
export type JobDefinitionFn = (env: StreamExecutionEnvironment, args: readonly string[]) => void;

/**
 * Declares a job. Make it the default export of the job module:
 *
 * @example
 * export default defineJob((env) => {
 *   env.fromGenerator((i) => ({ key: `k${i % 10}` }), { count: 1000 })
 *     .keyBy((e) => e.key)
 *     .reduce((a) => a)
 *     .print();
 * });
 *
 * `weir run` calls the function once to build the JobGraph it submits; every
 * worker calls it again to find the user functions, so it must not depend on
 * randomness, the clock or the machine it runs on.
 */
export function defineJob(fn: JobDefinitionFn): JobArtifactModule {
  return {
    weirJobVersion: JOB_ARTIFACT_VERSION,
    build(args: readonly string[], options: { defaultParallelism?: number } = {}): BuiltJob {
      const builder = new JobBuilder(options.defaultParallelism ?? 1);
      fn(new StreamExecutionEnvironment(builder, args), args);
      if (options.defaultParallelism !== undefined) builder.settings.parallelism = options.defaultParallelism;
      return builder.build();
    },
  };
}
