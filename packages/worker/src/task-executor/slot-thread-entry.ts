import { createHash } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Logger } from '@weir/protocol';
import { connectorPackagesPlugin, slotThreadEntrySource } from '../connectors/connector-bundling.ts';

const SLOT_THREAD = new URL('../stream-task/slot-thread.ts', import.meta.url);
const REGISTRY = new URL('../connectors/connector-registry.ts', import.meta.url);
/** The unbundled entry: imports the connectors (workerData.connectors), then the slot thread. */
const SOURCE = new URL('../connectors/slot-thread-from-source.ts', import.meta.url);
/** Inside the package, so the bundle resolves its external packages (and `createRequire`) from the package's node_modules. */
const CACHE = new URL('../../.slot-cache/', import.meta.url);
/** The package directory: the bundle's path comments are relative to it, so its hash does not depend on the working directory. */
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The module every slot thread starts from. A new thread that imports the
 * runtime from source strips types from some 60 modules (about 330 ms here);
 * one bundle of them loads in about 120 ms, which every restart and failover
 * gains per subtask. The bundle is made once per worker start (~30 ms), named
 * by its content hash, and kept in `packages/worker/.slot-cache/`; should
 * that fail (a read-only install), threads load the source. The bundle
 * includes the connector runtimes `connectors` (file URLs) and registers
 * them; threads started from source import them from `workerData.connectors`.
 * A container image makes the bundle at build time (prebuild-slot-thread.ts),
 * so a read-only root filesystem finds it there.
 */
export async function slotThreadEntry(logger: Logger, connectors: readonly string[]): Promise<URL> {
  try {
    const result = await build({
      stdin: { contents: slotThreadEntrySource(SLOT_THREAD, REGISTRY, connectors), resolveDir: fileURLToPath(new URL('.', import.meta.url)), sourcefile: 'slot-thread-entry.js', loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      write: false,
      logLevel: 'silent',
      absWorkingDir: PACKAGE_DIR,
      // Native or loaded through createRequire by path, or (the checkpoint storage and the AWS SDK) loaded
      // only by jobs with checkpoints on S3: resolved at run time from the package.
      external: ['rocksdb-native', 'msgpackr', '@weir/protocol/storage'],
      plugins: [connectorPackagesPlugin(connectors)],
    });
    const code = result.outputFiles[0]!.contents;
    const file = new URL(`slot-thread-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`, CACHE);
    const exists = await stat(file).then(() => true, () => false);
    if (!exists) {
      await mkdir(CACHE, { recursive: true });
      const temporary = new URL(`${file.pathname.split('/').at(-1)}.${process.pid}.tmp`, CACHE);
      await writeFile(temporary, code);
      await rename(temporary, file);
    }
    return file;
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'cannot bundle the slot-thread code; subtask threads load it from source (slower to start)');
    return SOURCE;
  }
}
