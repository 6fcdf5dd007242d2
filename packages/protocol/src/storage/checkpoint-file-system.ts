// What checkpoint storage needs of the place it keeps files: the one
// interface the coordinator (metadata, savepoints, retention) and the workers
// (state files) use, whatever is behind it (a file system, S3).

/**
 * Files of checkpoint storage at locations (absolute paths, or `s3://`
 * locations for object storage). Directories are prefixes: on object storage
 * they exist while something is in them.
 */
export interface CheckpointFileSystem {
  /** True when locations are paths of this machine's file system (workers then write state files in place). */
  readonly local: boolean;
  /** The names directly under `directory` (files and directories); empty when there is none. */
  list(directory: string): Promise<string[]>;
  /** The size of a file in bytes; -1 when there is none. */
  size(file: string): Promise<number>;
  /** A file's content; throws naming the location (and `ENOENT` or `NoSuchKey` when it is missing). */
  read(file: string): Promise<Buffer>;
  /**
   * Writes a file so that a reader sees either nothing or all of it: on a
   * file system a temporary file, fsync, rename and a sync of the directory;
   * on object storage one PUT.
   */
  writeAtomic(file: string, content: string | Uint8Array): Promise<void>;
  /** Claims a new directory; fails (never overwrites) when it exists or holds anything. */
  createExclusive(directory: string): Promise<void>;
  /** Removes a directory and everything under it; nothing when there is none. */
  removeDirectory(directory: string): Promise<void>;
  /** Copies the file `from` to `to` (on object storage without the bytes passing through this process). */
  copy(from: string, to: string): Promise<void>;
  /** Stores the local file `path` at `file` (object storage: multipart for large files). */
  upload(path: string, file: string): Promise<void>;
  /** Fetches `file` into the local file `path`. */
  download(file: string, path: string): Promise<void>;
}
