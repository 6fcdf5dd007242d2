import { Command } from 'commander';
import { printJson, wholeNumber, withClientFlags, type ClientFlags } from '../cli-support.ts';
import { withClient } from '../client-connection.ts';
import { formatCluster, formatJobList, formatJobStatus } from '../format-status.ts';
import { watchStatus } from '../status-watch.ts';

export function listCommand(): Command {
  return withClientFlags(new Command('list').description('list the jobs the coordinator knows')).action(async (flags: ClientFlags) => {
    await withClient(flags, async (client) => {
      const jobs = await client.list();
      if (flags.json) printJson(jobs);
      else process.stdout.write(formatJobList(jobs) + '\n');
    });
  });
}

export function statusCommand(): Command {
  return withClientFlags(
    new Command('status')
      .description("a job's status: per vertex its parallelism, state, records and rates, busy/backpressured/idle time and watermark (per subtask with --wide), its source splits, any failure, and (with etcd) the leader")
      .argument('<jobId>')
      .option('--wide', 'one row per subtask, with its worker, exact counts and full timestamps')
      .option('--watch', 'keep showing it with the latest checkpoint and restarts, refreshed in place on a terminal (plain lines otherwise, one JSON object a line with --json), until the job ends or Ctrl-C')
      .option('--interval <ms>', 'how often --watch refreshes', wholeNumber('--interval', 100), 1000),
  ).action(async (jobId: string, flags: ClientFlags & { wide?: boolean; watch?: boolean; interval: number }) => {
    await withClient(flags, async (client) => {
      if (flags.watch) {
        const stopped = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
        await watchStatus(client, jobId, { intervalMs: flags.interval, out: process.stdout, json: flags.json === true, wide: flags.wide === true, stopped });
        return;
      }
      const view = await client.status(jobId);
      if (flags.json) {
        printJson(view);
        return;
      }
      // With etcd, say who serves the job: the leader and its standbys.
      const leadership = (await client.cluster()).leadership;
      const header = leadership
        ? `Leader ${leadership.leader.address} (epoch ${leadership.epoch}); standbys: ${leadership.standbys.map((s) => s.address).join(', ') || 'none'}\n`
        : '';
      process.stdout.write(header + formatJobStatus(view, { wide: flags.wide }) + '\n');
    });
  });
}

export function cancelCommand(): Command {
  return withClientFlags(new Command('cancel').description('cancel a running job').argument('<jobId>')).action(async (jobId: string, flags: ClientFlags) => {
    await withClient(flags, async (client) => {
      const status = await client.cancel(jobId);
      if (flags.json) printJson({ jobId, status });
      else process.stdout.write(`Job ${jobId}: ${status}\n`);
    });
  });
}

export function clusterCommand(): Command {
  return withClientFlags(new Command('cluster').description('the coordinator and its workers with their slots and last heartbeat')).action(
    async (flags: ClientFlags) => {
      await withClient(flags, async (client) => {
        const view = await client.cluster();
        if (flags.json) printJson(view);
        else process.stdout.write(formatCluster(view) + '\n');
      });
    },
  );
}
