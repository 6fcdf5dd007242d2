// The type check `weir run` does before it bundles a job: the TypeScript
// compiler over the job module and the files it imports (not the Weir
// packages, not node_modules), with the tsconfig.json nearest the job or
// strict defaults, reported the way tsc reports.
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidJobError } from '@weir/common';
import ts from 'typescript';

/** How many diagnostics a failed check prints; the rest are counted. */
export const MAX_REPORTED_DIAGNOSTICS = 20;

/**
 * Packages a job may import that the bundler resolves from the CLI's own
 * installation (see @weir/client's bundle-job.ts): the check resolves them
 * the same way when the job's directory does not have them.
 */
const JOB_PACKAGES = ['@weir/sdk', '@weir/connector-kafka'];

/** A file of this package, to resolve the job packages from. */
const HERE = fileURLToPath(import.meta.url);

/** Options for a job outside any TypeScript project: strict, ES modules, `.ts` imports allowed. */
function defaultOptions(jobFile: string): ts.CompilerOptions {
  const nodeTypes = ts.resolveTypeReferenceDirective('node', jobFile, {}, ts.sys).resolvedTypeReferenceDirective !== undefined;
  return {
    target: ts.ScriptTarget.ES2024,
    lib: ['lib.es2024.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    types: nodeTypes ? ['node'] : [],
  };
}

/**
 * The nearest tsconfig.json's compiler options, or undefined if there is none
 * or it is a solution file (`"files": []` with references), which describes
 * no file, as an editor treats it.
 */
function projectOptions(jobFile: string): { options: ts.CompilerOptions; errors: readonly ts.Diagnostic[] } | undefined {
  const configPath = ts.findConfigFile(dirname(jobFile), ts.sys.fileExists);
  if (configPath === undefined) return undefined;
  const host: ts.ParseConfigFileHost = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined };
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, host);
  if (parsed === undefined) return undefined;
  const solution = parsed.fileNames.length === 0 && (parsed.projectReferences?.length ?? 0) > 0;
  if (solution) return undefined;
  // "No inputs were found" does not matter: the job file is the input.
  return { options: parsed.options, errors: parsed.errors.filter((e) => e.code !== 18003) };
}

function compilerHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const cache = ts.createModuleResolutionCache(host.getCurrentDirectory(), host.getCanonicalFileName, options);
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions, containingSourceFile) =>
    literals.map((literal) => {
      const name = literal.text;
      const mode = ts.getModeForUsageLocation(containingSourceFile, literal, compilerOptions);
      const found = ts.resolveModuleName(name, containingFile, compilerOptions, host, cache, redirected, mode);
      if (found.resolvedModule || !JOB_PACKAGES.some((p) => name === p || name.startsWith(`${p}/`))) return found;
      return ts.resolveModuleName(name, HERE, compilerOptions, host, cache, redirected, mode);
    });
  return host;
}

/** One diagnostic as tsc prints it: `file:line:col - error TS2322: message`. */
function formatDiagnostic(d: ts.Diagnostic, cwd: string): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  const category = ts.DiagnosticCategory[d.category].toLowerCase();
  if (d.file === undefined || d.start === undefined) return `${category} TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${relative(cwd, d.file.fileName)}:${line + 1}:${character + 1} - ${category} TS${d.code}: ${message}`;
}

/**
 * Type-checks a job module with the TypeScript compiler and throws an
 * InvalidJobError listing the errors (at most MAX_REPORTED_DIAGNOSTICS, then
 * a count) if there are any. Only the job's own files are checked: the
 * module and what it imports outside node_modules and the Weir packages. A
 * JavaScript job, or a file that does not exist, is left to the bundler.
 */
export function typecheckJob(entry: string, cwd: string = process.cwd()): void {
  const jobFile = resolve(entry);
  // A JavaScript job has no types to check; a missing file is the bundler's to report.
  if (!/\.[mc]?tsx?$/.test(jobFile) || !ts.sys.fileExists(jobFile)) return;
  const project = projectOptions(jobFile);
  const options: ts.CompilerOptions = {
    ...(project?.options ?? defaultOptions(jobFile)),
    noEmit: true,
    skipLibCheck: true,
    composite: false,
    incremental: false,
    declaration: false,
    emitDeclarationOnly: false,
  };
  const program = ts.createProgram({ rootNames: [jobFile], options, host: compilerHost(options) });
  const own = program.getSourceFiles().filter((f) => !f.isDeclarationFile && !program.isSourceFileFromExternalLibrary(f) && !f.fileName.includes('/node_modules/'));
  const diagnostics = [
    ...(project?.errors ?? []),
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...own.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ].filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diagnostics.length === 0) return;
  const shown = diagnostics.slice(0, MAX_REPORTED_DIAGNOSTICS).map((d) => formatDiagnostic(d, cwd));
  const more = diagnostics.length - shown.length;
  const count = `${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}${more > 0 ? ` (${more} not shown)` : ''}`;
  throw new InvalidJobError(`the job does not compile:\n${shown.join('\n')}\n${count}; fix the job, or skip this check with --no-typecheck`);
}
