// Checkpoint storage files on S3-compatible object storage, through the AWS
// SDK: one PUT for small files (atomic: an object is there whole or not at
// all), multipart uploads with bounded parallelism for large state files,
// server-side copies, and errors that name the endpoint, bucket and key.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { parseS3Location } from '../checkpoint-location.ts';
import type { CheckpointFileSystem } from './checkpoint-file-system.ts';
import { describeS3Endpoint, type S3Settings } from './s3-settings.ts';

/** Parts of a multipart upload in flight at once (per file). */
const UPLOAD_QUEUE_SIZE = 4;
/** Part size of multipart uploads; smaller files go in one PUT. */
const UPLOAD_PART_BYTES = 8 * 1024 * 1024;

/** {@link CheckpointFileSystem} on S3: locations are `s3://bucket/key`, directories are key prefixes. */
export class S3CheckpointFileSystem implements CheckpointFileSystem {
  readonly local = false;
  private readonly client: S3Client;
  private readonly endpoint: string;

  constructor(settings: S3Settings) {
    this.endpoint = describeS3Endpoint(settings);
    this.client = new S3Client({
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      region: settings.region ?? process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: settings.forcePathStyle ?? false,
      maxAttempts: 3,
      // Credentials: the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_SHARED_CREDENTIALS_FILE
      // and AWS_PROFILE, web identity tokens, instance roles).
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    });
  }

  async list(directory: string): Promise<string[]> {
    const { bucket, key } = parseS3Location(directory);
    const prefix = key === '' ? '' : `${key}/`;
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.call('list', directory, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token })),
      );
      for (const object of page.Contents ?? []) if (object.Key && object.Key !== prefix) names.add(object.Key.slice(prefix.length));
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) names.add(common.Prefix.slice(prefix.length, -1));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return [...names];
  }

  async size(file: string): Promise<number> {
    const { bucket, key } = parseS3Location(file);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (error instanceof S3ServiceException && (error.$metadata.httpStatusCode === 404 || error.name === 'NotFound' || error.name === 'NoSuchKey')) return -1;
      throw this.explain('head', file, error);
    }
  }

  async read(file: string): Promise<Buffer> {
    const { bucket, key } = parseS3Location(file);
    const object = await this.call('get', file, () => this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    return Buffer.from(await object.Body!.transformToByteArray());
  }

  async writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
    const { bucket, key } = parseS3Location(file);
    await this.call('put', file, () => this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content })));
  }

  /** A prefix is new when nothing is under it; the names are random, so a claim does not need to be atomic. */
  async createExclusive(directory: string): Promise<void> {
    const { bucket, key } = parseS3Location(directory);
    const page = await this.call('list', directory, () => this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${key}/`, MaxKeys: 1 })));
    if ((page.KeyCount ?? 0) > 0) throw new Error(`EEXIST: ${directory} already holds objects; a savepoint never overwrites`);
  }

  async removeDirectory(directory: string): Promise<void> {
    const { bucket, key } = parseS3Location(directory);
    let token: string | undefined;
    do {
      const page = await this.call('list', directory, () => this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${key}/`, ContinuationToken: token })));
      const objects = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (objects.length > 0) {
        await this.call('delete', directory, () => this.client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } })));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async copy(from: string, to: string): Promise<void> {
    const source = parseS3Location(from);
    const target = parseS3Location(to);
    const copySource = `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}`;
    await this.call('copy', `${from} to ${to}`, () => this.client.send(new CopyObjectCommand({ Bucket: target.bucket, Key: target.key, CopySource: copySource })));
  }

  async upload(path: string, file: string): Promise<void> {
    const { bucket, key } = parseS3Location(file);
    await this.call('upload', file, () =>
      new Upload({
        client: this.client,
        params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
        queueSize: UPLOAD_QUEUE_SIZE,
        partSize: UPLOAD_PART_BYTES,
        leavePartsOnError: false,
      }).done(),
    );
  }

  async download(file: string, path: string): Promise<void> {
    const { bucket, key } = parseS3Location(file);
    const object = await this.call('get', file, () => this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    await mkdir(dirname(path), { recursive: true });
    await pipeline(object.Body as Readable, createWriteStream(path));
  }

  /** Stops the client's connections. */
  close(): void {
    this.client.destroy();
  }

  private async call<T>(operation: string, location: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.explain(operation, location, error);
    }
  }

  /** An error naming the operation, the location and the endpoint, with a hint for the usual causes. */
  private explain(operation: string, location: string, error: unknown): Error {
    const e = error as Error & { code?: string; Code?: string };
    const name = e.name === 'Error' || !e.name ? (e.code ?? 'Error') : e.name;
    let hint = '';
    if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'CredentialsProviderError', 'ExpiredToken'].includes(name)) {
      hint = ': check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE) and the bucket policy';
    } else if (name === 'NoSuchBucket') {
      hint = `: create the bucket ${parseS3Location(location.split(' ')[0]!).bucket} or fix the checkpoint location`;
    } else if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'TimeoutError', 'EHOSTUNREACH', 'ECONNRESET'].includes(name) || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT/.test(e.message)) {
      hint = ': the endpoint is unreachable; check the S3 endpoint setting and the network';
    }
    return new Error(`S3 ${operation} of ${location} at ${this.endpoint} failed: ${name}: ${e.message}${hint}`, { cause: error });
  }
}
