// Writing files so that what a checkpoint or a commit relies on is on disk:
// every byte written (a short write goes on, none written is an error),
// the file fsynced, and the directory that names it fsynced after a create,
// rename or link. Errors keep the OS code (ENOSPC, EIO) and name the path.
import { constants } from 'node:fs';
import { copyFile, mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What `writeFully` needs of a file handle (FileHandle has it). */
export interface WritableHandle {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
}

/**
 * Writes every byte of `data` at the handle's position: FileHandle.write may
 * write fewer bytes than asked (a full disk, a signal), so it goes on until
 * all are written. A write that makes no progress throws `EIO`, and an error
 * of the file system (ENOSPC, EIO) is thrown with the path it concerns.
 */
export async function writeFully(handle: WritableHandle, data: Uint8Array, path: string): Promise<void> {
  let offset = 0;
  while (offset < data.byteLength) {
    let written: number;
    try {
      ({ bytesWritten: written } = await handle.write(data, offset, data.byteLength - offset));
    } catch (error) {
      throw fileError(error, path);
    }
    if (written <= 0) {
      throw Object.assign(new Error(`EIO: wrote no bytes of the ${data.byteLength - offset} left, write '${path}'`), { code: 'EIO' });
    }
    offset += written;
  }
}

/** fsyncs a directory, so the names created, renamed or linked in it last. */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(directory, 'r');
  } catch (error) {
    throw fileError(error, directory);
  }
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems cannot fsync a directory (EINVAL): nothing more can be done there.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw fileError(error, directory);
  } finally {
    await handle.close();
  }
}

/** fsyncs a file that is already written (a copy, a file written by a stream). */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+').catch((error: unknown) => {
    throw fileError(error, path);
  });
  try {
    await handle.sync();
  } catch (error) {
    throw fileError(error, path);
  } finally {
    await handle.close();
  }
}

/** `mkdir -p` that fsyncs the parent of every directory it created, so they last. */
export async function makeDirectoryDurably(directory: string): Promise<void> {
  const first = await mkdir(directory, { recursive: true });
  if (first === undefined) return;
  // Every directory from the first one created down to `directory` is new: its parent must be synced.
  for (let dir = directory; ; dir = dirname(dir)) {
    await syncDirectory(dirname(dir));
    if (dir === first || dirname(dir) === dir) break;
  }
}

/**
 * Writes `content` to `file` atomically and durably: a temporary file in the
 * same directory, every byte written and fsynced, renamed over `file`, the
 * directory fsynced. On an error the temporary file is removed and `file`
 * keeps what it had.
 */
export async function writeFileAtomic(file: string, content: string | Uint8Array, temporary: string): Promise<void> {
  const directory = dirname(file);
  await makeDirectoryDurably(directory);
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  try {
    const handle = await open(temporary, 'w');
    try {
      await writeFully(handle, data, temporary);
      await handle.sync().catch((error: unknown) => {
        throw fileError(error, temporary);
      });
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

/** Copies `from` to `to` (a clone where the file system can), fsyncs the copy and its directory. */
export async function copyFileDurably(from: string, to: string): Promise<void> {
  await makeDirectoryDurably(dirname(to));
  await copyFile(from, to, constants.COPYFILE_FICLONE);
  await syncFile(to);
  await syncDirectory(dirname(to));
}

/**
 * An error of the file system that names `path` the way Node names it for
 * path operations (`ENOSPC: no space left on device, write '<path>'`),
 * keeping its `code`; writes through a handle otherwise name no file.
 */
function fileError(error: unknown, path: string): Error {
  const cause = error as NodeJS.ErrnoException;
  const message = cause.message ?? String(error);
  if (message.includes(path)) return cause;
  return Object.assign(new Error(`${message} '${path}'`, { cause }), { code: cause.code ?? 'EIO' });
}
