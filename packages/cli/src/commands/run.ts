import { Command, Option } from 'commander';
import { CHECKPOINT_MODES, type CheckpointMode } from '@weir/common';
import { isTerminalJobStatus, resolveLocation } from '@weir/protocol';
import { prepareJob } from '@weir/client';
import { cancelCommandLine, EXIT, printJson, wholeNumber, withClient, withClientFlags, type ClientFlags } from '../cli-support.ts';
import { formatJobStatus } from '../format-status.ts';

interface RunFlags extends ClientFlags {
  parallelism?: number;
  detached?: boolean;
  checkpointInterval?: number;
  checkpointMode?: CheckpointMode;
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
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
      .option('--from-savepoint <path>', 'start from the state in a savepoint or retained checkpoint directory')
      .option('--allow-non-restored-state', 'start even if the savepoint has state for operators the job does not have (that state is dropped)')
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
      const view = await client.waitForTerminal(jobId, 250, (v) => {
        if (!flags.json && v.status !== last && !isTerminalJobStatus(v.status)) process.stderr.write(`  ${v.status}\n`);
        last = v.status;
      });
      if (flags.json) printJson(view);
      else process.stdout.write(formatJobStatus(view) + '\n');
      process.exitCode = view.status === 'FINISHED' ? EXIT.ok : EXIT.failed;
    });
  });
}
