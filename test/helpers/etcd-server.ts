// A real etcd for tests: one member on loopback, random free ports, a
// temporary data dir, fast raft settings, optionally TLS with client certificates. Debian's etcd-server 3.4 is at
// /usr/bin/etcd (WEIR_ETCD_BIN overrides the path).
import { type ChildProcess } from 'node:child_process';
import { access, constants, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './free-ports.ts';
import { spawnServerProcess } from './server-process.ts';

/** Environment variable naming the etcd binary (default /usr/bin/etcd). */
export const ETCD_BIN_ENV = 'WEIR_ETCD_BIN';

const DEFAULT_ETCD_BIN = '/usr/bin/etcd';
const HEALTHY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 3_000;

/** TLS of a test etcd: its server certificate, and the CA its clients' certificates must come from. */
export interface EtcdTlsOptions {
  /** The CA that issued `certFile` and the clients' certificates. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** For the health check: a client certificate of `caFile`. */
  clientCertFile: string;
  clientKeyFile: string;
}

/** A running test etcd and the ways to hurt it. */
export interface EtcdServer {
  /** The client URL, e.g. `http://127.0.0.1:40123` (`https://` with TLS). */
  endpoint: string;
  /** The data directory (removed by `stop()`). */
  dataDir: string;
  /** SIGTERM (SIGKILL after 3 s) and remove the data dir. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGSTOP: the process stays, its sockets stay open, nothing answers. */
  pause(): Promise<void>;
  /** SIGCONT after `pause()`. */
  resume(): Promise<void>;
  /** SIGKILL, keeping the data dir (see `restart()`). */
  kill(): Promise<void>;
  /** Starts etcd again on the same data dir and ports (killing it first if it runs) and waits until healthy. */
  restart(): Promise<void>;
}

/**
 * Starts a single-member etcd on 127.0.0.1 and waits until it reports
 * healthy. With `tls`, clients must use https:// and present a certificate
 * of its CA (`--client-cert-auth`).
 */
export async function startEtcd(tls?: EtcdTlsOptions): Promise<EtcdServer> {
  const bin = process.env[ETCD_BIN_ENV] ?? DEFAULT_ETCD_BIN;
  try {
    await access(bin, constants.X_OK);
  } catch {
    throw new Error(
      `etcd is not installed (no executable at ${bin}). Install Debian's etcd server with ` +
        '"apt-get install -y etcd-server", or point the ' + ETCD_BIN_ENV + ' environment variable at an etcd 3.4+ binary.',
    );
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'weir-etcd-'));
  let lastError: unknown;
  // A port found free can be taken before etcd binds it: try a few pairs.
  for (let attempt = 0; attempt < 3; attempt++) {
    const [clientPort, peerPort] = await freePorts(2);
    const server = new TestEtcd(bin, dataDir, clientPort!, peerPort!, tls);
    try {
      await server.launch();
      return server;
    } catch (error) {
      lastError = error;
      await server.kill();
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir, { recursive: true });
    }
  }
  await rm(dataDir, { recursive: true, force: true });
  throw lastError;
}

class TestEtcd implements EtcdServer {
  readonly endpoint: string;
  readonly dataDir: string;
  private readonly bin: string;
  private readonly args: string[];
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output: () => string = () => '';
  private paused = false;
  private stopped = false;
  private readonly tls: EtcdTlsOptions | undefined;

  constructor(bin: string, dataDir: string, clientPort: number, peerPort: number, tls: EtcdTlsOptions | undefined) {
    this.bin = bin;
    this.dataDir = dataDir;
    this.tls = tls;
    this.endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    this.args = [
      '--name', 'weir-test',
      '--data-dir', dataDir,
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `weir-test=${peer}`,
      '--initial-cluster-state', 'new',
      '--heartbeat-interval=10',
      '--election-timeout=100',
      '--logger=zap',
      '--log-level=warn',
      ...(tls ? ['--cert-file', tls.certFile, '--key-file', tls.keyFile, '--trusted-ca-file', tls.caFile, '--client-cert-auth'] : []),
    ];
  }

  async launch(): Promise<void> {
    const server = spawnServerProcess(this.bin, this.args, 4_000, () => {
      if (this.child === server.child) this.child = null;
    });
    this.child = server.child;
    this.exited = server.exited;
    this.output = server.output;
    const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (server.hasExited()) throw new Error(`etcd exited while starting (${this.bin} ${this.args.join(' ')}):\n${this.output()}`);
      if (await this.healthy()) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`etcd at ${this.endpoint} was not healthy after ${HEALTHY_TIMEOUT_MS} ms:\n${this.output()}`);
  }

  private async healthy(): Promise<boolean> {
    if (this.tls) return this.healthyOverTls(this.tls);
    try {
      const response = await fetch(`${this.endpoint}/health`, { signal: AbortSignal.timeout(500) });
      const body = (await response.json()) as { health?: string };
      return response.ok && body.health === 'true';
    } catch {
      return false;
    }
  }

  private async healthyOverTls(tls: EtcdTlsOptions): Promise<boolean> {
    const [ca, cert, key] = await Promise.all([readFile(tls.caFile), readFile(tls.clientCertFile), readFile(tls.clientKeyFile)]);
    return new Promise((resolve) => {
      const request = httpsGet(`${this.endpoint}/health`, { ca, cert, key, timeout: 500 }, (response) => {
        let body = '';
        response.on('data', (d: Buffer) => (body += d.toString()));
        response.on('end', () => resolve(response.statusCode === 200 && body.includes('"health":"true"')));
      });
      request.on('error', () => resolve(false));
      request.on('timeout', () => request.destroy());
    });
  }

  async pause(): Promise<void> {
    if (!this.child || this.paused) return;
    this.child.kill('SIGSTOP');
    this.paused = true;
  }

  async resume(): Promise<void> {
    if (!this.child || !this.paused) return;
    this.child.kill('SIGCONT');
    this.paused = false;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    this.paused = false;
    await this.exited;
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error('etcd was stopped (its data dir is gone): start a new one');
    await this.kill();
    await this.launch();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const child = this.child;
    if (child) {
      if (this.paused) await this.resume();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
