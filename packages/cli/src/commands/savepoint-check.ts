// `weir savepoint check PATH job.ts`: whether a job can start from a
// savepoint (or retained checkpoint), state by state, without a cluster:
// the job graph is built locally and compared with the savepoint's metadata.
import { Command } from 'commander';
import { describeStateMetadata } from '@weir/common';
import { checkSavepointStates, resolveLocation, type StateCheckReport } from '@weir/protocol';
import { prepareJob } from '@weir/client';
import { readSavepointMetadata } from '@weir/coordinator';
import { EXIT, printJson, UsageError, wholeNumber } from '../cli-support.ts';
import { table } from '../format-table.ts';

interface CheckFlags {
  parallelism?: number;
  allowNonRestoredState?: boolean;
  json?: boolean;
  typecheck: boolean;
}

/** The report as a table, then the verdict and the problems. */
export function formatStateCheck(path: string, report: StateCheckReport): string {
  const rows = [['OPERATOR', 'STATE', 'STATUS', 'SAVEPOINT', 'JOB', 'REASON']];
  for (const r of report.rows) {
    rows.push([r.operator, r.state, r.status === 'dropped' ? 'would be dropped' : r.status, r.savepoint ? describeStateMetadata(r.savepoint) : '-', r.job ? describeStateMetadata(r.job) : '-', r.reason ?? '']);
  }
  const verdict =
    report.problems.length === 0
      ? `The job can be restored from ${path}.`
      : `Restoring the job from ${path} would fail:\n- ${report.problems.join('\n- ')}`;
  return `${table(rows)}\n\n${verdict}`;
}

/** The `check` subcommand of `weir savepoint`. */
export function savepointCheckCommand(): Command {
  return new Command('check')
    .description('check, without a cluster, whether a job can start from a savepoint or retained checkpoint: per operator and state, maps, migrates, new, would be dropped or incompatible (exit code 1 when the restore would fail)')
    .argument('<path>', 'the savepoint or retained checkpoint directory (or s3:// prefix)')
    .argument('<job>', 'the job module (.ts or .js) whose default export is defineJob(...)')
    .argument('[args...]', 'arguments for the job, after --')
    .option('-p, --parallelism <n>', 'default parallelism of the job', wholeNumber('--parallelism', 1))
    .option('-n, --allow-non-restored-state', 'check as weir run --allow-non-restored-state would restore: state of operators the job does not have is dropped')
    .option('--no-typecheck', 'bundle without type-checking the job first')
    .option('--json', 'print machine-readable JSON: { path, restorable, rows, problems }')
    .action(async (path: string, job: string, args: string[], own: CheckFlags, command: Command) => {
      // `weir savepoint` has a --json of its own, which takes the flag before the subcommand sees it.
      const flags = command.optsWithGlobals<CheckFlags>();
      if (path === '') throw new UsageError('weir savepoint check needs the savepoint directory');
      if (flags.typecheck) {
        const { typecheckJob } = await import('../typecheck-job.ts');
        typecheckJob(job);
      }
      const directory = resolveLocation(path);
      const prepared = await prepareJob(job, args, flags.parallelism);
      let metadata;
      try {
        metadata = await readSavepointMetadata(directory);
      } catch (error) {
        throw new UsageError(`cannot read the savepoint at ${directory}: ${(error as Error).message}`);
      }
      const report = checkSavepointStates(metadata, prepared.graph, flags.allowNonRestoredState ?? false);
      if (flags.json) printJson({ path: directory, restorable: report.problems.length === 0, ...report });
      else process.stdout.write(formatStateCheck(directory, report) + '\n');
      process.exitCode = report.problems.length === 0 ? EXIT.ok : EXIT.failed;
    });
}
