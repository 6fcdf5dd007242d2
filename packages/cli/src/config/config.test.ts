import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCoordinatorOptions } from '@weir/coordinator';
import { WEIR_ENV } from '@weir/protocol';
import { resolveWorkerOptions } from '@weir/worker';
import { coordinatorCommand, workerCommand } from '../commands/components.ts';
import { localCommand } from '../commands/local.ts';
import { configKeys } from './config-schema.ts';
import { renderConfigTable } from './config-docs.ts';
import { loadConfigFile } from './load-config.ts';
import { COMMAND_FLAG_KEYS, commandLineFlags, coordinatorOptionsOf, layerConfig, localOptionsOf, workerOptionsOf } from './resolve-config.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weir-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Parses `args` with the real command, without running its action. */
function parsed(command: ReturnType<typeof coordinatorCommand>, args: string[]) {
  command.action(() => undefined);
  command.parse(args, { from: 'user' });
  return command;
}

describe('configuration file', () => {
  it('reads every section', async () => {
    const path = await file('full.yaml', ['coordinator:', '  port: 7000', '  restPort: 9091', '  checkpointDir: /shared/cp', 'worker:', '  slots: 8', '  advertisedHost: w-0.weir', 'etcd:', '  endpoints: [http://etcd-0:2379, http://etcd-1:2379]', '  clusterId: prod', 'local:', '  workers: 3'].join('\n'));
    const config = await loadConfigFile(path);
    const values = layerConfig({ file: config, env: {}, flags: {} });
    const coordinator = coordinatorOptionsOf(values, false);
    expect(coordinator).toMatchObject({ port: 7000, checkpointDir: '/shared/cp', etcd: ['http://etcd-0:2379', 'http://etcd-1:2379'], clusterId: 'prod' });
    const worker = workerOptionsOf(values, false);
    expect(worker).toMatchObject({ slots: 8, advertisedHost: 'w-0.weir', etcd: ['http://etcd-0:2379', 'http://etcd-1:2379'], clusterId: 'prod' });
    expect(localOptionsOf(values)).toEqual({ workers: 3, slots: 8, port: 7000, restPort: 9091, dataDir: '.weir/local', spareThreads: 0 });
  });

  it('reads the cluster default restart strategy from the file and the environment, and names a bad one', async () => {
    const config = await loadConfigFile(await file('restart.yaml', 'coordinator:\n  restartStrategy: fixed-delay:attempts=3,delay=2s\n'));
    expect(coordinatorOptionsOf(layerConfig({ file: config, env: {}, flags: {} }), false).restartStrategy).toEqual({ type: 'fixed-delay', attempts: 3, delayMs: 2000 });
    const env = { [WEIR_ENV.restartStrategy]: 'none' };
    expect(coordinatorOptionsOf(layerConfig({ file: config, env, flags: {} }), false).restartStrategy).toEqual({ type: 'none' });
    expect(coordinatorOptionsOf(layerConfig({ file: {}, env: {}, flags: {} }), false).restartStrategy).toMatchObject({ type: 'exponential-delay', maxAttempts: 5 });
    const bad = await file('bad-restart.yaml', 'coordinator:\n  restartStrategy: fixed-delay:attempts=3\n');
    await expect(loadConfigFile(bad)).rejects.toThrow(/coordinator.restartStrategy.*'fixed-delay' needs delay/);
  });

  it('takes an empty file as an empty configuration', async () => {
    const config = await loadConfigFile(await file('empty.yaml', '# nothing set\n'));
    expect(coordinatorOptionsOf(layerConfig({ file: config, env: {}, flags: {} }), false).port).toBe(6123);
  });

  it('rejects an unknown key, naming the file, the section and the keys it knows', async () => {
    const path = await file('unknown.yaml', 'coordinator:\n  prot: 6123\n');
    await expect(loadConfigFile(path)).rejects.toThrow(`${path}: coordinator: unknown key 'prot' (known: host, port,`);
  });

  it('rejects an unknown section', async () => {
    const path = await file('section.yaml', 'taskmanager:\n  slots: 4\n');
    await expect(loadConfigFile(path)).rejects.toThrow(`${path}: unknown key 'taskmanager' (known: coordinator, worker, etcd, security, client, local)`);
  });

  it('rejects a wrong type, naming the file, the key path and the value', async () => {
    const path = await file('types.yaml', 'coordinator:\n  port: abc\nworker:\n  slots: 2.5\netcd:\n  endpoints: http://etcd:2379\n');
    const error = await loadConfigFile(path).then(() => undefined, (e: Error) => e);
    expect(error?.message.split('\n')).toEqual([
      `${path}: coordinator.port: expected a whole number from 0 to 65535, got "abc"`,
      `${path}: worker.slots: expected a whole number >= 1, got 2.5`,
      `${path}: etcd.endpoints: expected a list of etcd client URLs, got "http://etcd:2379"`,
    ]);
  });

  it('rejects a section that is not a mapping', async () => {
    const path = await file('scalar.yaml', 'worker: 4\n');
    await expect(loadConfigFile(path)).rejects.toThrow(`${path}: worker: expected a mapping of keys, got 4`);
  });

  it('says when the file is missing or not YAML', async () => {
    const missing = join(dir, 'no-such.yaml');
    await expect(loadConfigFile(missing)).rejects.toThrow(`cannot read the configuration file ${missing}: no such file`);
    const broken = await file('broken.yaml', 'coordinator: [\n');
    await expect(loadConfigFile(broken)).rejects.toThrow(`${broken}: not valid YAML`);
    const twice = await file('twice.yaml', 'worker:\n  slots: 1\n  slots: 2\n');
    await expect(loadConfigFile(twice)).rejects.toThrow(`${twice}: not valid YAML`);
  });
});

describe('security settings', () => {
  const tlsFiles = { internalCa: '/tls/ca.crt', internalCert: '/tls/tls.crt', internalKey: '/tls/tls.key' };

  it('make TLS the default and refuse to start without the certificate files, naming them and the way out', () => {
    const values = layerConfig({ file: {}, env: {}, flags: {} });
    expect(() => coordinatorOptionsOf(values)).toThrow(/security.internalCa, security.internalCert, security.internalKey are not set.*--insecure-plaintext/);
    expect(() => workerOptionsOf(values)).toThrow(/weir worker uses TLS by default/);
  });

  it('read the files, the REST certificate and the tokens file from the file, the environment and flags', () => {
    const env = { [WEIR_ENV.restCert]: '/rest/tls.crt', [WEIR_ENV.restKey]: '/rest/tls.key', [WEIR_ENV.tokensFile]: '/secrets/tokens' };
    const options = coordinatorOptionsOf(layerConfig({ file: { security: { ...tlsFiles, certReloadIntervalMs: 5000 } }, env, flags: {} }));
    expect(options.transport).toEqual({ kind: 'mtls', files: { caFile: '/tls/ca.crt', certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' }, serverFiles: { certFile: '/rest/tls.crt', keyFile: '/rest/tls.key' }, reloadIntervalMs: 5000 });
    expect(options.restTls).toBe(true);
    expect(options.tokensFile).toBe('/secrets/tokens');
  });

  it('take --insecure-plaintext as security.transport: plaintext, with the REST API on HTTP', () => {
    const command = parsed(coordinatorCommand(), ['--insecure-plaintext']);
    const flags = commandLineFlags(command, COMMAND_FLAG_KEYS.coordinator);
    expect(flags).toEqual({ 'security.transport': 'plaintext' });
    const options = coordinatorOptionsOf(layerConfig({ file: {}, env: {}, flags }));
    expect(options.transport).toEqual({ kind: 'plaintext' });
    expect(options.restTls).toBe(false);
  });

  it('refuse a wrong transport and half a certificate pair', async () => {
    const path = await file('transport.yaml', 'security:\n  transport: ssl\n');
    await expect(loadConfigFile(path)).rejects.toThrow(`${path}: security.transport: expected tls or plaintext, got "ssl"`);
    expect(() => coordinatorOptionsOf(layerConfig({ file: { security: { ...tlsFiles, restCert: '/rest/tls.crt' } }, env: {}, flags: {} }))).toThrow(/security.restCert and security.restKey go together/);
  });

  it('read the etcd client TLS files', () => {
    const values = layerConfig({ file: { etcd: { caFile: '/etcd/ca.crt' } }, env: { [WEIR_ENV.etcdCert]: '/etcd/c.crt', [WEIR_ENV.etcdKey]: '/etcd/c.key' }, flags: {} });
    expect(workerOptionsOf(values, false).etcdTls).toEqual({ caFile: '/etcd/ca.crt', certFile: '/etcd/c.crt', keyFile: '/etcd/c.key' });
  });
});

describe('precedence: flag > environment > file > default', () => {
  const fileConfig = { coordinator: { port: 7001, dataDir: '/from/file', host: '0.0.0.0' }, etcd: { clusterId: 'file' } };

  it('uses the file over the defaults', () => {
    const options = coordinatorOptionsOf(layerConfig({ file: fileConfig, env: {}, flags: {} }), false);
    expect(options).toMatchObject({ port: 7001, dataDir: '/from/file', host: '0.0.0.0', clusterId: 'file', leaseTtlSeconds: 5 });
  });

  it('uses the environment over the file', () => {
    const env = { [WEIR_ENV.coordinatorPort]: '7002', [WEIR_ENV.dataDir]: '/from/env', [WEIR_ENV.clusterId]: 'env' };
    const options = coordinatorOptionsOf(layerConfig({ file: fileConfig, env, flags: {} }), false);
    expect(options).toMatchObject({ port: 7002, dataDir: '/from/env', host: '0.0.0.0', clusterId: 'env' });
  });

  it('uses a flag given on the command line over the environment, and ignores flag defaults', () => {
    const command = parsed(coordinatorCommand(), ['--port', '7003', '--cluster-id', 'flag']);
    const flags = commandLineFlags(command, COMMAND_FLAG_KEYS.coordinator);
    expect(flags).toEqual({ 'coordinator.port': 7003, 'etcd.clusterId': 'flag' });
    const env = { [WEIR_ENV.coordinatorPort]: '7002', [WEIR_ENV.dataDir]: '/from/env' };
    const options = coordinatorOptionsOf(layerConfig({ file: fileConfig, env, flags }), false);
    expect(options).toMatchObject({ port: 7003, dataDir: '/from/env', host: '0.0.0.0', clusterId: 'flag' });
  });

  it('reads lists from a flag or the environment as comma-separated URLs', () => {
    const command = parsed(workerCommand(), ['--etcd', 'http://a:2379, http://b:2379']);
    const fromFlag = workerOptionsOf(layerConfig({ file: {}, env: { [WEIR_ENV.etcd]: 'http://c:2379' }, flags: commandLineFlags(command, COMMAND_FLAG_KEYS.worker) }), false);
    expect(fromFlag.etcd).toEqual(['http://a:2379', 'http://b:2379']);
    const fromEnv = workerOptionsOf(layerConfig({ file: { etcd: { endpoints: ['http://d:2379'] } }, env: { [WEIR_ENV.etcd]: 'http://c:2379' }, flags: {} }), false);
    expect(fromEnv.etcd).toEqual(['http://c:2379']);
  });

  it('names the variable or the flag whose value is wrong', () => {
    expect(() => layerConfig({ file: {}, env: { [WEIR_ENV.slots]: 'many' }, flags: {} })).toThrow('WEIR_SLOTS (worker.slots): expected a whole number >= 1, got "many"');
    const command = parsed(workerCommand(), ['--etcd', ',']);
    expect(() => commandLineFlags(command, COMMAND_FLAG_KEYS.worker)).toThrow('--etcd (etcd.endpoints): expected at least one etcd client URL, got ","');
  });
});

describe('the keys', () => {
  it('cover every flag of the commands that take --config', () => {
    for (const [name, make] of [['coordinator', coordinatorCommand], ['worker', workerCommand], ['local', localCommand]] as const) {
      // Not keys of the file: --config names it, and --log-format is set before the file is read (like WEIR_LOG_LEVEL, the logger's).
      const attributes = make().options.map((o) => o.attributeName()).filter((a) => a !== 'config' && a !== 'logFormat');
      expect(Object.keys(COMMAND_FLAG_KEYS[name]).sort(), name).toEqual(attributes.sort());
    }
  });

  it('cover every environment variable the coordinator and the worker read', () => {
    const documented = new Set(configKeys().map((k) => k.env));
    // Every variable a coordinator or worker reads is a key of the file (not the log level and format, the logger's, nor the file's own name).
    const notKeys: string[] = [WEIR_ENV.logLevel, WEIR_ENV.logFormat, WEIR_ENV.config];
    for (const env of Object.values(WEIR_ENV).filter((name) => !notKeys.includes(name))) expect(documented, env).toContain(env);
  });

  it('document the defaults the components apply', () => {
    const coordinator = resolveCoordinatorOptions({}, {}) as unknown as Record<string, unknown>;
    const worker = resolveWorkerOptions({}, {}) as unknown as Record<string, unknown>;
    for (const key of configKeys()) {
      const [section, name] = key.path.split('.') as [string, string];
      const resolved = section === 'coordinator' ? coordinator[name] : section === 'worker' ? worker[name] : undefined;
      if (typeof resolved === 'number') expect(key.default, key.path).toBe(String(resolved));
      if (typeof resolved === 'string' && key.path.endsWith('Dir')) expect(resolve(key.default), key.path).toBe(resolved);
    }
  });

  it('are all in docs/configuration.md, as rendered from the schema', async () => {
    const doc = await readFile(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');
    const table = renderConfigTable();
    // To update the document, paste the table this test prints.
    expect(doc.includes(table), `docs/configuration.md must contain:\n${table}`).toBe(true);
  });
});
