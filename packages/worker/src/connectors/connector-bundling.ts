// How connector runtimes go into the slot-thread bundle: the generated entry that registers them, and an esbuild
// plugin that keeps their own dependencies where the connector's package resolves them.
import { dirname, extname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Loader, Plugin } from 'esbuild';

/**
 * The source of the bundle's entry: the slot-thread module, then each
 * connector runtime registered under its URL (before any deployment arrives:
 * messages are handled only after the entry has run).
 */
export function slotThreadEntrySource(slotThread: URL, registry: URL, connectors: readonly string[]): string {
  const path = (url: URL | string): string => JSON.stringify(fileURLToPath(url));
  const lines = [`import { registerConnector } from ${path(registry)};`, `import ${path(slotThread)};`];
  connectors.forEach((url, i) => {
    lines.push(`import connector${i} from ${path(url)};`, `registerConnector(connector${i}, ${JSON.stringify(url)});`);
  });
  return lines.join('\n') + '\n';
}

/** The directory of the package a file belongs to (the nearest one with a package.json). */
function packageRoot(file: string): string {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const LOADERS: Record<string, Loader> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js' };

/**
 * Inside a connector's package, the bundle keeps the connector's view of the
 * file system: packages it imports (other than Weir's own, which are bundled
 * once with the slot thread, so the SPI exists once per thread) stay external,
 * at the path the connector's package resolves them to; and `import.meta.url`
 * is the connector file's own URL, so its `createRequire(import.meta.url)`
 * finds its dependencies, not the worker's.
 */
export function connectorPackagesPlugin(connectors: readonly string[]): Plugin {
  const roots = [...new Set(connectors.map((url) => packageRoot(fileURLToPath(url))))];
  const inConnector = (file: string): boolean => !file.includes('/node_modules/') && roots.some((root) => file.startsWith(root + '/'));
  return {
    name: 'weir-connector-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'weir-connector-resolve' || !inConnector(args.importer) || args.path.startsWith('@weir/') || args.path.startsWith('node:')) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'weir-connector-resolve' });
        if (resolved.errors.length > 0 || resolved.external || !resolved.path.startsWith('/')) return undefined;
        return { path: pathToFileURL(resolved.path).href, external: true };
      });
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        if (!inConnector(args.path)) return undefined;
        const contents = await readFile(args.path, 'utf8');
        if (!contents.includes('import.meta.url')) return undefined;
        return { contents: contents.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: LOADERS[extname(args.path)] ?? 'ts' };
      });
    },
  };
}
