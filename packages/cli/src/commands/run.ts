import { Command, Option } from 'commander';
import { CHECKPOINT_MODES, parseRestartStrategy, ValidationError, type CheckpointMode, type RestartStrategy } from '@weir/common';
import { isTerminalJobStatus, resolveLocation } from '@weir/protocol';
import { prepareJob } from '@weir/client';
import { cancelCommandLine, EXIT, printJson, UsageError, wholeNumber, withClientFlags, type ClientFlags } from '../cli-support.ts';
import { withClient } from '../client-connection.ts';
import { formatJobStatus } from '../format-status.ts';

interface RunFlags extends ClientFlags {
  parallelism?: number;
  detached?: boolean;
  checkpointInterval?: number;
  checkpointMode?: CheckpointMode;
  restartStrategy?: RestartStrategy;
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
  slotRequestTimeout?: number;
  /** False with --no-typecheck. */
  typecheck: boolean;
}

export function runCommand(): Command {
  return withClientFlags(
    new Command('run')
      .description('bundle a job module, submit it, and (unless -d) wait for it to end')
      .argument('<job>', 'the job module (.ts or .js) whose default export is defineJob(...)')
      .argument('[args...]', 'arguments for the job, after --')
      .option('-p, --parallelism <n>', 'default parallelism of the job', wholeNumber('--parallelism', 1))
      .option('-d, --detached', 'submit and return at once, printing the job id')
      .option('--checkpoint-interval <ms>', "take a checkpoint every <ms> (overrides the job's setting; 0 disables)", wholeNumber('--checkpoint-interval'))
      .addOption(new Option('--checkpoint-mode <mode>', 'exactly-once (aligned barriers) or at-least-once').choices([...CHECKPOINT_MODES]))
      .option(
        '--slot-request-timeout <ms>',
        "fail the job when the cluster has had fewer slots than it needs for <ms> (overrides the coordinator's slotRequestTimeoutMs, default 300000)",
        wholeNumber('--slot-request-timeout', 1),
      )
      .option(
        '--restart-strategy <strategy>',
        "how failures are retried (overrides the job's and the cluster's): none, fixed-delay:attempts=3,delay=1s, " +
          'exponential-delay:initial-backoff=500ms,max-backoff=1m,multiplier=2,reset-threshold=1h,jitter=0.1,attempts=10, ' +
          'failure-rate:max-failures=3,interval=5m,delay=10s',
        restartStrategyFlag,
      )
      .option('--from-savepoint <path>', 'start from the state in a savepoint or retained checkpoint directory')
      .option('-n, --allow-non-restored-state', "start even if the savepoint has state for operators the job does not have (that state is dropped, and the coordinator's log says so); 'weir savepoint check' shows what a restore would do")
      .option('--no-typecheck', 'bundle without type-checking the job first (the check uses the tsconfig.json nearest the job)'),
  ).action(async (job: string, args: string[], flags: RunFlags) => {
    if (flags.typecheck) {
      // Loaded only here: the compiler takes a while to load.
      const { typecheckJob } = await import('../typecheck-job.ts');
      typecheckJob(job);
    }
    const prepared = await prepareJob(job, args, flags.parallelism);
    const checkpoint = prepared.graph.config.checkpoint;
    if (flags.checkpointInterval !== undefined) checkpoint.intervalMs = flags.checkpointInterval;
    if (flags.checkpointMode) checkpoint.mode = flags.checkpointMode;
    if (flags.slotRequestTimeout !== undefined) prepared.graph.config.slotRequestTimeoutMs = flags.slotRequestTimeout;
    if (flags.restartStrategy) prepared.graph.config.restartStrategy = flags.restartStrategy;
    await withClient(flags, async (client) => {
      const jobId = await client.submit(prepared.graph.name, prepared.graph, prepared.artifact, args, {
        ...(flags.fromSavepoint ? { fromSavepoint: resolveLocation(flags.fromSavepoint) } : {}),
        allowNonRestoredState: flags.allowNonRestoredState ?? false,
      });
      if (flags.detached) {
        if (flags.json) printJson({ jobId });
        else process.stdout.write(`Submitted job ${jobId} '${prepared.graph.name}'\n`);
        return;
      }
      // The handler goes in before the line that tells the user Ctrl-C is safe, so a Ctrl-C right after it is caught.
      process.once('SIGINT', () => {
        process.stderr.write(`\nweir: job ${jobId} keeps running; cancel it with: ${cancelCommandLine(jobId, flags)}\n`);
        process.exit(EXIT.interrupted);
      });
      if (!flags.json) process.stderr.write(`Submitted job ${jobId} '${prepared.graph.name}'; waiting for it to end (Ctrl-C leaves it running)\n`);
      let last = '';
      let waitingFor = 0;
      const view = await client.waitForTerminal(jobId, 250, (v) => {
        if (!flags.json && v.status !== last && !isTerminalJobStatus(v.status)) process.stderr.write(`  ${v.status}\n`);
        last = v.status;
        // Said once per wait: the job waits for slots (weir status shows what it needs and what there is).
        const r = v.slotRequest;
        if (!flags.json && r && r.waitingSinceMs !== waitingFor) {
          process.stderr.write(`  waiting for slots: the job needs ${r.slotsNeeded}, the cluster has ${r.freeSlots} free of ${r.totalSlots} (weir status ${jobId})\n`);
          waitingFor = r.waitingSinceMs;
        }
      });
      if (flags.json) printJson(view);
      else process.stdout.write(formatJobStatus(view) + '\n');
      process.exitCode = view.status === 'FINISHED' ? EXIT.ok : EXIT.failed;
    });
  });
}

/** Reads `--restart-strategy`; a bad value is a usage error that shows the forms. */
function restartStrategyFlag(value: string): RestartStrategy {
  try {
    return parseRestartStrategy(value);
  } catch (error) {
    if (error instanceof ValidationError) throw new UsageError(`--restart-strategy: ${error.message}`);
    throw error;
  }
}
