// Makes the slot-thread bundle ahead of time
// (`node prebuild-slot-thread.ts [connector module...]`), e.g. while building
// a container image whose root filesystem is read-only at run time: a worker
// started with the same connectors then finds the bundle in .slot-cache/ and
// writes nothing.
import { fileURLToPath } from 'node:url';
import { createLogger } from '@weir/protocol';
import { resolveConnectorModules } from './connectors/connector-modules.ts';
import { slotThreadEntry } from './task-executor/slot-thread-entry.ts';

const connectors = resolveConnectorModules(process.argv.slice(2), process.cwd(), 'prebuild-slot-thread <connector module...>');
const entry = await slotThreadEntry(createLogger('prebuild-slot-thread'), connectors);
if (!entry.pathname.endsWith('.mjs')) {
  process.stderr.write('prebuild-slot-thread: the slot-thread code could not be bundled (see the warning above)\n');
  process.exit(1);
}
process.stdout.write(`slot-thread bundle: ${fileURLToPath(entry)}\n`);
