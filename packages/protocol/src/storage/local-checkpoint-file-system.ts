// Checkpoint storage files on a (local or shared) file system.
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { temporaryFileName } from '../checkpoint-layout.ts';
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

  async writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
    const directory = dirname(file);
    await mkdir(directory, { recursive: true });
    const temporary = temporaryFileName(file);
    const handle = await open(temporary, 'w');
    try {
      await handle.write(typeof content === 'string' ? Buffer.from(content) : content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
    const dir = await open(directory, 'r');
    await dir.sync().finally(() => dir.close());
  }

  /** Errors carry the OS error and the path (`EEXIST: file already exists, mkdir '...'`). */
  async createExclusive(directory: string): Promise<void> {
    await mkdir(dirname(directory), { recursive: true });
    await mkdir(directory);
  }

  async removeDirectory(directory: string): Promise<void> {
    await rm(directory, { recursive: true, force: true });
  }

  async copy(from: string, to: string): Promise<void> {
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to, constants.COPYFILE_FICLONE);
  }

  upload(path: string, file: string): Promise<void> {
    return this.copy(path, file);
  }

  download(file: string, path: string): Promise<void> {
    return this.copy(file, path);
  }
}
