import { Command } from 'commander';
import { isTerminalJobStatus } from '@weir/common';
import { prepareJob } from '../../client/bundle-job.ts';
import { EXIT, printJson, wholeNumber, withClient, withClientFlags, type ClientFlags } from '../cli-support.ts';
import { formatJobStatus } from '../format-status.ts';

interface RunFlags extends ClientFlags {
  parallelism?: number;
  detached?: boolean;
}

export function runCommand(): Command {
  return withClientFlags(
    new Command('run')
      .description('bundle a job module, submit it, and (unless -d) wait for it to end')
      .argument('<job>', 'the job module (.ts or .js) whose default export is defineJob(...)')
      .argument('[args...]', 'arguments for the job, after --')
      .option('-p, --parallelism <n>', 'default parallelism of the job', wholeNumber('--parallelism', 1))
      .option('-d, --detached', 'submit and return at once, printing the job id'),
  ).action(async (job: string, args: string[], flags: RunFlags) => {
    const prepared = await prepareJob(job, args, flags.parallelism);
    await withClient(flags, async (client) => {
      const jobId = await client.submit(prepared.graph.name, prepared.graph, prepared.artifact, args);
      if (flags.detached) {
        if (flags.json) printJson({ jobId });
        else process.stdout.write(`Submitted job ${jobId} '${prepared.graph.name}'\n`);
        return;
      }
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
