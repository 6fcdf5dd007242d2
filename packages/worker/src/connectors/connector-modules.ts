// Which connector runtime modules a worker loads: resolved once, in the main thread, to file URLs.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Resolves connector modules to file URLs: a `file:` URL stays, a path
 * (`./x.ts`, `/abs/x.ts`) is resolved against `cwd`, and a package name
 * (`@weir/connector-kafka/runtime`) is resolved from `cwd` as Node would
 * resolve it there. Throws naming the module and how to fix it.
 */
export function resolveConnectorModules(modules: readonly string[], cwd: string, flag: string): string[] {
  const urls = modules.map((module) => resolveConnectorModule(module, cwd, flag));
  return [...new Set(urls)];
}

function resolveConnectorModule(module: string, cwd: string, flag: string): string {
  if (module.startsWith('file:')) return new URL(module).href;
  if (module.startsWith('.') || module.startsWith('/')) return pathToFileURL(resolve(cwd, module)).href;
  try {
    return pathToFileURL(createRequire(resolve(cwd, 'package.json')).resolve(module)).href;
  } catch (error) {
    throw new Error(`cannot find connector module '${module}' from ${cwd} (${(error as Error).message.split('\n')[0]}): install it there, or pass its path or file URL to ${flag}`, { cause: error });
  }
}

/** The modules of a comma-separated list (WEIR_CONNECTORS); empty entries are dropped. */
export function connectorModuleList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
