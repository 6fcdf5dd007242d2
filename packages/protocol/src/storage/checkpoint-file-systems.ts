// Picks the CheckpointFileSystem for a location: S3 for `s3://`, the file
// system otherwise. The S3 implementation (and the AWS SDK) is loaded only
// when a location needs it.
import { isS3Location } from '../checkpoint-location.ts';
import type { CheckpointFileSystem } from './checkpoint-file-system.ts';
import { LocalCheckpointFileSystem } from './local-checkpoint-file-system.ts';
import type { S3Settings } from './s3-settings.ts';

/** One file system per kind of location, made on first use. */
export class CheckpointFileSystems {
  /** The S3 settings the S3 file system is made with. */
  readonly s3Settings: S3Settings;
  private readonly localFileSystem = new LocalCheckpointFileSystem();
  private s3: Promise<CheckpointFileSystem & { close(): void }> | undefined;

  constructor(s3Settings: S3Settings = {}) {
    this.s3Settings = s3Settings;
  }

  /** The file system that holds `location`. */
  async for(location: string): Promise<CheckpointFileSystem> {
    if (!isS3Location(location)) return this.localFileSystem;
    this.s3 ??= import('./s3-checkpoint-file-system.ts').then(({ S3CheckpointFileSystem }) => new S3CheckpointFileSystem(this.s3Settings));
    return this.s3;
  }

  /** Closes the S3 client, if one was made. */
  async close(): Promise<void> {
    if (this.s3) (await this.s3).close();
  }
}
