// The SDK's boundary as a user's project sees it: @weir/sdk and @weir/common
// packed with npm, installed into an empty project, and checked there: none
// of the runtime's heavy dependencies come along, the tarballs hold sources
// and no tests, and a small job type-checks against the installed packages
// with tsc (and a job with a wrong type does not).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/weir-cli.ts';

/** What a job's project must not install: the worker's, coordinator's and connectors' runtime. */
const FORBIDDEN = ['rocksdb-native', 'etcd3', 'kafkajs', '@grpc/grpc-js'];
const TSC = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

interface NpmTree {
  dependencies?: Record<string, NpmTree>;
}

/** Every package name in an `npm ls --all --json` tree. */
function treeNames(tree: NpmTree, into = new Set<string>()): Set<string> {
  for (const [name, child] of Object.entries(tree.dependencies ?? {})) {
    into.add(name);
    treeNames(child, into);
  }
  return into;
}

/** Every package installed under a node_modules directory, nested ones too. */
async function installedNames(nodeModules: string, into = new Set<string>()): Promise<Set<string>> {
  const entries = await readdir(nodeModules, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dirs = entry.name.startsWith('@')
      ? (await readdir(join(nodeModules, entry.name))).map((n) => ({ name: `${entry.name}/${n}`, path: join(nodeModules, entry.name, n) }))
      : [{ name: entry.name, path: join(nodeModules, entry.name) }];
    for (const dir of dirs) {
      into.add(dir.name);
      await installedNames(join(dir.path, 'node_modules'), into);
    }
  }
  return into;
}

const JOB = `import { defineJob, ValueStateDescriptor } from '@weir/sdk';

const countState = new ValueStateDescriptor<number>('count', 0);

export default defineJob((env, args) => {
  env
    .fromElements('to', 'be', 'or', 'not', 'to', 'be')
    .keyBy((word) => word)
    .process<{ word: string; count: number }>((word, ctx, out) => {
      const count = ctx.getState(countState);
      const next = (count.value() ?? 0) + 1;
      count.update(next);
      out.collect({ word, count: next });
    })
    .writeToFile(args[0] ?? '/tmp/word-counts');
});
`;

/** A job project's settings under which tsc accepts the packages' .ts sources from node_modules. */
const TSCONFIG = {
  compilerOptions: {
    target: 'es2024',
    lib: ['es2024'],
    module: 'nodenext',
    moduleResolution: 'nodenext',
    types: ['node'],
    strict: true,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
  },
  include: ['job.ts'],
};

let work: string;
let project: string;
let packs: PackResult[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'weir-package-boundary-'));
  project = join(work, 'project');
  const packed = await run('npm', ['pack', '-w', '@weir/common', '-w', '@weir/sdk', '--pack-destination', work, '--json'], REPO_ROOT);
  expect(packed.code, packed.stderr).toBe(0);
  packs = JSON.parse(packed.stdout) as PackResult[];
  // An empty project, as `npm init` leaves it, with the tarballs and Node's types (the SDK's sources use node: modules).
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'job-project', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const typesNode = (JSON.parse(await readFile(join(REPO_ROOT, 'node_modules/@types/node/package.json'), 'utf8')) as { version: string }).version;
  const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...packs.map((p) => join(work, p.filename)), `@types/node@${typesNode}`], project);
  expect(installed.code, installed.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('@weir/sdk as a dependency of a job project', () => {
  it('packs sources and the README, without tests', () => {
    expect(packs.map((p) => p.name).sort()).toEqual(['@weir/common', '@weir/sdk']);
    for (const pack of packs) {
      const paths = pack.files.map((f) => f.path);
      expect(paths, pack.name).toContain('package.json');
      expect(paths, pack.name).toContain('src/index.ts');
      expect(paths.filter((p) => /\.test\.ts$|(^|\/)test\//.test(p)), pack.name).toEqual([]);
      expect(paths, pack.name).toContain('README.md');
      expect(paths.filter((p) => !p.startsWith('src/') && p !== 'package.json' && p !== 'README.md'), pack.name).toEqual([]);
    }
  });

  it("installs none of the runtime's heavy dependencies", async () => {
    const ls = await run('npm', ['ls', '--all', '--json'], project);
    expect(ls.code, ls.stderr).toBe(0);
    const tree = treeNames(JSON.parse(ls.stdout) as NpmTree);
    const onDisk = await installedNames(join(project, 'node_modules'));
    for (const names of [tree, onDisk]) {
      expect(names).toContain('@weir/sdk');
      expect(names).toContain('@weir/common');
      expect(names).toContain('zod');
      expect(FORBIDDEN.filter((name) => names.has(name))).toEqual([]);
    }
    expect([...onDisk].filter((name) => name.startsWith('@weir/')).sort()).toEqual(['@weir/common', '@weir/sdk']);
  });

  it('type-checks a job against the installed packages, and rejects one with a wrong type', async () => {
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    await writeFile(join(project, 'job.ts'), JOB);
    const good = await run(process.execPath, [TSC, '-p', project], project);
    expect(good.code, good.stdout + good.stderr).toBe(0);

    // The state holds numbers: a string must not type-check.
    await writeFile(join(project, 'job.ts'), JOB.replace('count.update(next);', 'count.update(String(next));'));
    const bad = await run(process.execPath, [TSC, '-p', project], project);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/job\.ts\(12,\d+\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'/);
  });
});
