// `weir savepoint`, `weir stop` and `weir checkpoints`: savepoints into a new
// directory `savepoint-<job>-<random>` under the one given, and the checkpoint
// history (`weir savepoint check` is savepoint-check.ts).
import { Command } from 'commander';
import { DEFAULT_SAVEPOINTS_DIRECTORY, resolveLocation } from '@weir/protocol';
import { printJson, UsageError, withClientFlags, type ClientFlags } from '../cli-support.ts';
import { withClient } from '../client-connection.ts';
import { formatCheckpoints } from '../format-status.ts';
import { savepointCheckCommand } from './savepoint-check.ts';

/** The directory a savepoint goes under: the one given, else `./savepoints`. */
function savepointTarget(dir: string | undefined): string {
  return resolveLocation(dir ?? DEFAULT_SAVEPOINTS_DIRECTORY);
}

export function savepointCommand(): Command {
  return withClientFlags(
    new Command('savepoint')
      .description("take a savepoint of a running job: a self-contained copy of its state that 'weir run --from-savepoint' starts from")
      .argument('<jobId>')
      .argument('[dir]', 'the directory to write it under, as a new savepoint-<job>-<random> (default: ./savepoints)')
      .addCommand(savepointCheckCommand()),
  ).action(async (jobId: string, dir: string | undefined, flags: ClientFlags) => {
    await withClient(flags, async (client) => {
      const path = await client.savepoint(jobId, savepointTarget(dir), false);
      if (flags.json) printJson({ jobId, path });
      else process.stdout.write(`Savepoint of job ${jobId} written to ${path}\n`);
    });
  });
}

export function stopCommand(): Command {
  return withClientFlags(
    new Command('stop')
      .description('stop a job with a savepoint: sources stop, sinks commit, the job ends FINISHED')
      .argument('<jobId>')
      .option('--savepoint-path <dir>', 'the directory to write the savepoint under, as a new savepoint-<job>-<random> (default: ./savepoints)'),
  ).action(async (jobId: string, flags: ClientFlags & { savepointPath?: string }) => {
    if (flags.savepointPath === '') throw new UsageError('--savepoint-path needs a directory');
    await withClient(flags, async (client) => {
      // A failed savepoint rejects here (exit code 1) and the job keeps running.
      const path = await client.savepoint(jobId, savepointTarget(flags.savepointPath), true);
      const view = await client.waitForTerminal(jobId);
      if (flags.json) printJson({ jobId, path, status: view.status });
      else process.stdout.write(`Job ${jobId} stopped (${view.status}) with a savepoint at ${path}\n`);
    });
  });
}

export function checkpointsCommand(): Command {
  return withClientFlags(
    new Command('checkpoints').description("a job's completed, failed and in-flight checkpoints: duration, size, alignment time, failure reason").argument('<jobId>'),
  ).action(async (jobId: string, flags: ClientFlags) => {
    await withClient(flags, async (client) => {
      const views = await client.checkpoints(jobId);
      if (flags.json) printJson(views);
      else process.stdout.write(formatCheckpoints(views) + '\n');
    });
  });
}
