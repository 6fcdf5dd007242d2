import { constants } from 'node:fs';
import { copyFile, link, mkdir, readdir, rm, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { chainFileName, parseAttemptStagingDirectoryName, stagedFileName, syncDirectory, syncFile } from '@weir/protocol/runtime';
import type { KeyedStateHandle } from './keyed-state-backend.ts';

/**
 * Removes the staging directories (`<attempt>-<token>`) of attempts before
 * `attempt`: their subtasks are gone or going, and the checkpoints they
 * wrote keep their own links to the files.
 */
export async function removeEarlierAttemptStaging(stagingRoot: string, attempt: number): Promise<void> {
  const names = await readdir(stagingRoot).catch(() => [] as string[]);
  for (const name of names) {
    const earlier = parseAttemptStagingDirectoryName(name);
    if (earlier < attempt) await rm(join(stagingRoot, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A snapshot file of an incremental chain, in the backend's staging directory. */
export interface ChainFile {
  /** Absolute path in the staging directory. */
  path: string;
  /** The file's handle (its `file` is the staging name). */
  handle: KeyedStateHandle;
}

/**
 * The files that together hold a keyed-state backend's state for
 * incremental checkpoints: a base (a full snapshot, or the files the backend
 * was restored from) and, after it, one delta file per snapshot with the
 * entries changed since the one before (deleted keys marked). Applied in
 * order they give the state at the last snapshot.
 *
 * The files live in a staging directory of the checkpoint storage that
 * belongs to this backend. A checkpoint gets the chain by hard links in its
 * own directory (a copy where links are not possible), so every checkpoint
 * directory stays complete on its own: deleting an old checkpoint deletes
 * only its links, and the file system frees a file when the last checkpoint
 * naming it is gone. Files that left the chain are unlinked from staging once
 * no checkpoint is still linking them.
 */
export class IncrementalSnapshotChain {
  readonly directory: string;
  private files: Promise<ChainFile>[] = [];
  /** Entries in the base and in the deltas after it, as known so far (for the materialization policy). */
  private baseEntries = 0;
  private deltaEntries = 0;
  private generation = 0;
  private counter = 0;
  private linking = 0;
  private garbage: string[] = [];

  constructor(directory: string) {
    this.directory = directory;
  }

  /** A fresh path in the staging directory for a file of the given kind. */
  newPath(kind: 'base' | 'delta' | 'restored'): string {
    this.counter++;
    return join(this.directory, stagedFileName(kind, this.counter));
  }

  /** The chain as it stands: what a snapshot taken now references. */
  snapshot(): { files: readonly Promise<ChainFile>[]; generation: number; length: number } {
    return { files: [...this.files], generation: this.generation, length: this.files.length };
  }

  /** Starts a chain over from `base` (a full snapshot, or restored files). */
  reset(base: readonly Promise<ChainFile>[]): void {
    this.discard(this.files);
    this.files = [...base];
    const generation = ++this.generation;
    this.baseEntries = 0;
    this.deltaEntries = 0;
    for (const file of base) {
      void file.then(
        (f) => {
          if (this.generation === generation) this.baseEntries += f.handle.entries;
        },
        () => undefined,
      );
    }
  }

  /** Appends the delta file of one snapshot, with the number of entries it holds. */
  append(delta: Promise<ChainFile>, entries: number): void {
    this.files.push(delta);
    this.deltaEntries += entries;
  }

  /** Entries in the chain's files as known so far (deleted keys and overwritten values included). */
  entries(): number {
    return this.baseEntries + this.deltaEntries;
  }

  /**
   * Whether a full snapshot should replace the chain: its deltas hold as many
   * entries as the base (so a restore reads at most about twice the state),
   * or it grew long.
   */
  wantsMaterialization(minimumEntries: number, maximumFiles: number): boolean {
    return this.deltaEntries >= Math.max(minimumEntries, this.baseEntries) || this.files.length >= maximumFiles;
  }

  /**
   * A full snapshot taken when the chain had `length` files (generation
   * `generation`) is written: it replaces those files; deltas appended since
   * stay after it. Ignored (and the file dropped) when the chain was reset
   * in between.
   */
  materialized(generation: number, length: number, base: ChainFile): void {
    if (generation !== this.generation) {
      this.garbage.push(base.path);
      this.collect();
      return;
    }
    this.discard(this.files.slice(0, length));
    this.files = [Promise.resolve(base), ...this.files.slice(length)];
    this.baseEntries = base.handle.entries;
    this.deltaEntries = 0;
    for (const later of this.files.slice(1)) void later.then((f) => (this.deltaEntries += f.handle.entries), () => undefined);
  }

  /**
   * Puts the files of a chain snapshot into a checkpoint directory as
   * `<stem>.<i>.state` and returns their handles, in order.
   */
  async linkInto(files: readonly Promise<ChainFile>[], directory: string, stem: string): Promise<KeyedStateHandle[]> {
    this.linking++;
    try {
      const resolved = await Promise.all(files);
      await mkdir(directory, { recursive: true });
      const handles: KeyedStateHandle[] = [];
      for (let i = 0; i < resolved.length; i++) {
        const { path, handle } = resolved[i]!;
        const name = chainFileName(stem, i);
        await placeFile(path, join(directory, name));
        handles.push({ ...handle, file: name });
      }
      // The links are names in `directory`: synced before the checkpoint is acknowledged.
      await syncDirectory(directory);
      return handles;
    } finally {
      this.linking--;
      this.collect();
    }
  }

  /**
   * Puts restored files into the staging directory (hard links, copies
   * where links are not possible) and returns them as chain files.
   */
  async adopt(directory: string, handles: readonly KeyedStateHandle[]): Promise<ChainFile[]> {
    await mkdir(this.directory, { recursive: true });
    const adopted: ChainFile[] = [];
    for (const handle of handles) {
      const path = this.newPath('restored');
      await placeFile(join(directory, handle.file), path);
      adopted.push({ path, handle: { ...handle, file: basename(path) } });
    }
    return adopted;
  }

  /** Removes the staging directory (checkpoints keep their own links). */
  async close(): Promise<void> {
    this.files = [];
    this.garbage = [];
    await rm(this.directory, { recursive: true, force: true });
  }

  private discard(files: readonly Promise<ChainFile>[]): void {
    for (const file of files) {
      void file.then(
        (f) => {
          this.garbage.push(f.path);
          this.collect();
        },
        () => undefined,
      );
    }
  }

  private collect(): void {
    if (this.linking > 0 || this.garbage.length === 0) return;
    for (const path of this.garbage.splice(0)) void unlink(path).catch(() => undefined);
  }
}

/** Hard-links `from` to `to`, or copies it where the file system cannot link (another device, no link support). */
async function placeFile(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      await unlink(to);
      await placeFile(from, to);
      return;
    }
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw error;
    await copyFile(from, to, constants.COPYFILE_FICLONE);
    await syncFile(to);
  }
}
