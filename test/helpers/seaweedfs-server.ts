// A real S3-compatible server for tests: SeaweedFS (`weed server` with a
// master, a volume server, a filer and its S3 gateway) on loopback, random
// free ports, a temporary data dir, an S3 identity with an access key, and
// one bucket. Built by `scripts/seaweedfs.sh fetch` (WEIR_WEED_BIN overrides
// the path).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './free-ports.ts';
import { spawnServerProcess } from './server-process.ts';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/** Environment variable naming the weed binary (default: the one scripts/seaweedfs.sh builds). */
export const WEED_BIN_ENV = 'WEIR_WEED_BIN';

const SCRIPT = fileURLToPath(new URL('../../scripts/seaweedfs.sh', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/** A running SeaweedFS with its S3 gateway, and a bucket in it. */
export interface SeaweedFsServer {
  /** The S3 endpoint, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  /** The bucket made at start. */
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The standard AWS variables (and Weir's S3 endpoint) a process needs to use this server. */
  env(): Record<string, string>;
  /** An S3 client for this server, for checks from the test. */
  client(): S3Client;
  /** Keys under `prefix` in the bucket. */
  keys(prefix: string): Promise<string[]>;
  /** SIGTERM (SIGKILL after 5 s) and remove the data dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts SeaweedFS on 127.0.0.1 and waits until its S3 gateway made the bucket. */
export async function startSeaweedFs(bucket = 'weir-test'): Promise<SeaweedFsServer> {
  const bin = process.env[WEED_BIN_ENV] ?? execFileSync('bash', [SCRIPT, 'path'], { encoding: 'utf8' }).trim();
  try {
    await access(bin, constants.X_OK);
  } catch {
    throw new Error(`SeaweedFS is not built (no executable at ${bin}): run "scripts/seaweedfs.sh fetch" (needs Go), or point ${WEED_BIN_ENV} at a weed binary.`);
  }
  let lastError: unknown;
  // A port found free can be taken before weed binds it: try a few sets.
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = new TestSeaweedFs(bin, bucket, await mkdtemp(join(tmpdir(), 'weir-seaweedfs-')));
    try {
      await server.launch();
      return server;
    } catch (error) {
      lastError = error;
      await server.stop();
    }
  }
  throw lastError;
}

class TestSeaweedFs implements SeaweedFsServer {
  endpoint = '';
  readonly bucket: string;
  readonly accessKeyId = `weir${randomBytes(6).toString('hex')}`;
  readonly secretAccessKey = randomBytes(20).toString('hex');
  private readonly bin: string;
  private readonly dataDir: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output: () => string = () => '';
  private s3: S3Client | undefined;
  private stopped = false;

  constructor(bin: string, bucket: string, dataDir: string) {
    this.bin = bin;
    this.bucket = bucket;
    this.dataDir = dataDir;
  }

  async launch(): Promise<void> {
    const config = join(this.dataDir, 's3.json');
    await writeFile(
      config,
      JSON.stringify({ identities: [{ name: 'weir', credentials: [{ accessKey: this.accessKeyId, secretKey: this.secretAccessKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }] }),
    );
    // Each service also listens on a gRPC port (its port + 10000 unless given): all of them picked free.
    const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = await freePorts(8);
    this.endpoint = `http://127.0.0.1:${s3}`;
    const args = [
      'server',
      `-dir=${this.dataDir}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      `-master.port=${master}`,
      `-master.port.grpc=${masterGrpc}`,
      '-master.volumeSizeLimitMB=256',
      `-volume.port=${volume}`,
      `-volume.port.grpc=${volumeGrpc}`,
      '-volume.max=20',
      '-filer',
      `-filer.port=${filer}`,
      `-filer.port.grpc=${filerGrpc}`,
      '-s3',
      `-s3.port=${s3}`,
      `-s3.port.grpc=${s3Grpc}`,
      `-s3.config=${config}`,
    ];
    const server = spawnServerProcess(this.bin, args, 6_000, () => {
      if (this.child === server.child) this.child = null;
    });
    this.child = server.child;
    this.exited = server.exited;
    this.output = server.output;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = '';
    while (Date.now() < deadline) {
      if (server.hasExited()) throw new Error(`weed exited while starting (${this.bin} ${args.join(' ')}):\n${this.output()}`);
      try {
        await this.client().send(new CreateBucketCommand({ Bucket: this.bucket }));
        return;
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return;
        lastError = `${name}: ${(error as Error).message}`;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`SeaweedFS's S3 gateway at ${this.endpoint} did not create bucket ${this.bucket} within ${READY_TIMEOUT_MS} ms (${lastError}):\n${this.output()}`);
  }

  env(): Record<string, string> {
    return { AWS_ACCESS_KEY_ID: this.accessKeyId, AWS_SECRET_ACCESS_KEY: this.secretAccessKey, AWS_REGION: 'us-east-1', WEIR_S3_ENDPOINT: this.endpoint };
  }

  client(): S3Client {
    this.s3 ??= new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey },
    });
    return this.s3;
  }

  async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client().send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.s3?.destroy();
    const child = this.child;
    if (child) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
