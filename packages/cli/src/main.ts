import { Command, CommanderError } from 'commander';
import { describeError, WeirError } from '@weir/common';
import { EXIT, UsageError } from './cli-support.ts';
import { coordinatorCommand, workerCommand } from './commands/components.ts';
import { cancelCommand, clusterCommand, listCommand, statusCommand } from './commands/inspect.ts';
import { localCommand } from './commands/local.ts';
import { runCommand } from './commands/run.ts';
import { checkpointsCommand, savepointCommand, stopCommand } from './commands/savepoints.ts';

const program = new Command('weir')
  .description('Weir: distributed stream processing for TypeScript')
  .showSuggestionAfterError()
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.trimEnd() + '\n') });

for (const command of [localCommand(), runCommand(), listCommand(), statusCommand(), cancelCommand(), clusterCommand(), savepointCommand(), stopCommand(), checkpointsCommand(), coordinatorCommand(), workerCommand()]) {
  program.addCommand(command.exitOverride());
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  if (error instanceof UsageError || (error instanceof Error && error.name === 'InvalidArgumentError')) {
    process.stderr.write(`weir: ${error.message}\n`);
    process.exit(EXIT.usage);
  }
  if (error instanceof WeirError && error.name === 'InvalidJobError') {
    process.stderr.write(`weir: ${error.message}\n`);
    process.exit(EXIT.usage);
  }
  if (error instanceof WeirError) {
    process.stderr.write(`weir: ${error.message}\n`);
    process.exit(EXIT.failed);
  }
  process.stderr.write(`weir: ${describeError(error)}\n`);
  process.exit(EXIT.failed);
}
