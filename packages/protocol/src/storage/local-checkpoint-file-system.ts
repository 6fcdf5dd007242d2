// Checkpoint storage files on a (local or shared) file system.
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { temporaryFileName } from '../checkpoint-layout.ts';
import { copyFileDurably, makeDirectoryDurably, syncDirectory, writeFileAtomic } from '../durable-files.ts';
import type { CheckpointFileSystem } from './checkpoint-file-system.ts';

/** {@link CheckpointFileSystem} on the file system: locations are absolute paths. */
export class LocalCheckpointFileSystem implements CheckpointFileSystem {
  readonly local = true;

  async list(directory: string): Promise<string[]> {
    return readdir(directory).catch(() => [] as string[]);
  }

  async size(file: string): Promise<number> {
    return stat(file).then((s) => s.size, () => -1);
  }

  read(file: string): Promise<Buffer> {
    return readFile(file);
  }

  /** Temporary file, every byte written, fsync, rename, fsync of the directory (see writeFileAtomic). */
  writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
    return writeFileAtomic(file, content, temporaryFileName(file));
  }

  /** Errors carry the OS error and the path (`EEXIST: file already exists, mkdir '...'`). */
  async createExclusive(directory: string): Promise<void> {
    await makeDirectoryDurably(dirname(directory));
    await mkdir(directory);
    await syncDirectory(dirname(directory));
  }

  async removeDirectory(directory: string): Promise<void> {
    await rm(directory, { recursive: true, force: true });
  }

  /** The copy and its directory are fsynced before it resolves (a savepoint is durable when it reports success). */
  copy(from: string, to: string): Promise<void> {
    return copyFileDurably(from, to);
  }

  upload(path: string, file: string): Promise<void> {
    return this.copy(path, file);
  }

  download(file: string, path: string): Promise<void> {
    return this.copy(file, path);
  }
}
