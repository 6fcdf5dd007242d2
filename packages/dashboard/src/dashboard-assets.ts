// The dashboard's files: app/index.html as it is, and app/main.ts bundled
// with esbuild (with @dagrejs/dagre, uPlot and their styles) into one script
// and one stylesheet, in memory. Built once per process on first use (~0.1-0.3 s),
// so a clean clone needs no build step and nothing generated is committed.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** One file of the dashboard. */
export interface DashboardAsset {
  contentType: string;
  body: Buffer;
}

const APP_DIR = fileURLToPath(new URL('../app/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

function contentTypeOf(name: string): string {
  return CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
}

async function bundle(): Promise<Map<string, DashboardAsset>> {
  const result = await build({
    entryPoints: { dashboard: `${APP_DIR}main.ts` },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    sourcemap: true,
    write: false,
    outdir: '/dashboard',
    logLevel: 'silent',
  });
  const assets = new Map<string, DashboardAsset>();
  for (const file of result.outputFiles) assets.set(basename(file.path), { contentType: contentTypeOf(file.path), body: Buffer.from(file.contents) });
  assets.set('index.html', { contentType: contentTypeOf('index.html'), body: await readFile(`${APP_DIR}index.html`) });
  return assets;
}

let assets: Promise<Map<string, DashboardAsset>> | undefined;

/**
 * The dashboard's files by name (`index.html`, `dashboard.js`,
 * `dashboard.css` and their source maps), bundled on the first call; a failed build is tried
 * again on the next call.
 */
export function dashboardAssets(): Promise<Map<string, DashboardAsset>> {
  assets ??= bundle().catch((error: unknown) => {
    assets = undefined;
    throw new Error(`could not bundle the dashboard: ${(error as Error).message}`, { cause: error });
  });
  return assets;
}
