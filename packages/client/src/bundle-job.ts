import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Message } from 'esbuild';
import { InvalidJobError, isJobArtifactModule, userStack, type JobGraph } from '@weir/common';

/**
 * The packages a job imports, resolved from this client's installation, so a
 * job module outside any project that installs them still bundles.
 */
const JOB_PACKAGES = ['@weir/sdk', '@weir/connector-kafka'];

function jobPackageAliases(): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const name of JOB_PACKAGES) {
    try {
      aliases[name] = fileURLToPath(import.meta.resolve(name));
    } catch {
      // Not installed beside the client: the job resolves it from its own node_modules, if at all.
    }
  }
  return aliases;
}

/** A job module bundled into one self-contained ESM file, and the graph it builds. */
export interface PreparedJob {
  artifact: Uint8Array;
  graph: JobGraph;
}

/**
 * Bundles a job module with esbuild (TypeScript or JavaScript, with an inline
 * source map so stack traces name the user's lines), then loads the bundle
 * and builds its JobGraph exactly as a worker will. Any compile or graph
 * error is thrown as an InvalidJobError before anything is submitted.
 */
export async function prepareJob(entry: string, args: readonly string[], parallelism: number | undefined): Promise<PreparedJob> {
  const path = resolve(entry);
  if (!(await stat(path).then((s) => s.isFile(), () => false))) {
    throw new InvalidJobError(`job file not found: ${path}`);
  }
  let code: Uint8Array;
  try {
    const result = await build({
      entryPoints: [path],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      sourcemap: 'inline',
      // Source paths in the map are relative to this directory: stack traces name the job's own files wherever it runs.
      sourceRoot: `${pathToFileURL(process.cwd()).href}/`,
      write: false,
      logLevel: 'silent',
      alias: jobPackageAliases(),
      banner: { js: "import { createRequire as __weirCreateRequire } from 'node:module'; const require = __weirCreateRequire(import.meta.url);" },
    });
    code = result.outputFiles[0]!.contents;
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors ?? [];
    const text = errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ` : ''}${e.text}`).join('\n');
    throw new InvalidJobError(`the job does not compile:\n${text || (error as Error).message}`, { cause: error });
  }
  const graph = await buildGraph(code, args, parallelism);
  return { artifact: code, graph };
}

/** The user's part of an error thrown by job code, with its source-mapped frames. */
function describeJobError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const catchSite: { stack?: string } = {};
  Error.captureStackTrace(catchSite, describeJobError);
  return userStack(error, catchSite.stack ?? '');
}

async function buildGraph(code: Uint8Array, args: readonly string[], parallelism: number | undefined): Promise<JobGraph> {
  // Stack traces of the job's code name its source lines (the bundle carries an inline source map).
  process.setSourceMapsEnabled(true);
  const dir = await mkdtemp(join(tmpdir(), 'weir-job-'));
  const file = join(dir, 'job.mjs');
  try {
    await writeFile(file, code);
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (error) {
      throw new InvalidJobError(`the job module threw while loading: ${describeJobError(error)}`, { cause: error });
    }
    if (!isJobArtifactModule(module.default)) {
      throw new InvalidJobError('the job module must default-export a job: export default defineJob((env, args) => { ... })');
    }
    try {
      return module.default.build(args, parallelism === undefined ? {} : { defaultParallelism: parallelism }).graph;
    } catch (error) {
      if (error instanceof Error && error.name === 'InvalidJobError') throw error;
      throw new InvalidJobError(`building the job graph failed: ${describeJobError(error)}`, { cause: error });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
