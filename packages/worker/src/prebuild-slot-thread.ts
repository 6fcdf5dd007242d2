// Makes the slot-thread bundle ahead of time (`node prebuild-slot-thread.ts`),
// e.g. while building a container image whose root filesystem is read-only
// at run time: a worker then finds the bundle in .slot-cache/ and writes nothing.
import { fileURLToPath } from 'node:url';
import { createLogger } from '@weir/protocol';
import { slotThreadEntry } from './slot-thread-entry.ts';

const entry = await slotThreadEntry(createLogger('prebuild-slot-thread'));
if (!entry.pathname.endsWith('.mjs')) {
  process.stderr.write('prebuild-slot-thread: the slot-thread code could not be bundled (see the warning above)\n');
  process.exit(1);
}
process.stdout.write(`slot-thread bundle: ${fileURLToPath(entry)}\n`);
