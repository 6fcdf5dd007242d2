import { mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileDurably, makeDirectoryDurably, writeFileAtomic, writeFully, type WritableHandle } from './durable-files.ts';

/** A handle that writes at most `max` bytes per call into `sink`, then fails with `failWith` after `failAfter` bytes. */
function shortWriter(sink: number[], max: number, failAfter = Infinity, failWith = 'EIO'): WritableHandle {
  return {
    async write(buffer, offset, length) {
      if (sink.length >= failAfter) throw Object.assign(new Error(`${failWith}: i/o error, write`), { code: failWith });
      const n = Math.min(max, length);
      for (let i = 0; i < n; i++) sink.push(buffer[offset + i]!);
      return { bytesWritten: n };
    },
  };
}

describe('writeFully', () => {
  it('goes on after short writes until every byte is written', async () => {
    const sink: number[] = [];
    const data = Buffer.from('0123456789abcdefghij');
    await writeFully(shortWriter(sink, 3), data, '/x/part');
    expect(Buffer.from(sink).toString()).toBe('0123456789abcdefghij');
  });

  it('fails with EIO, naming the path, when a write makes no progress', async () => {
    await expect(writeFully(shortWriter([], 0), Buffer.from('abc'), '/x/part')).rejects.toMatchObject({ code: 'EIO', message: expect.stringMatching(/wrote no bytes of the 3 left, write '\/x\/part'/) });
  });

  it('keeps the code of an error in the middle of a file and names the path', async () => {
    const sink: number[] = [];
    await expect(writeFully(shortWriter(sink, 4, 8), Buffer.alloc(20), '/x/chk-3/keyed-a-0.state')).rejects.toMatchObject({
      code: 'EIO',
      message: "EIO: i/o error, write '/x/chk-3/keyed-a-0.state'",
    });
    expect(sink).toHaveLength(8);
  });

  it('reports ENOSPC of a real device that is full', async () => {
    const handle = await open('/dev/full', 'w');
    try {
      await expect(writeFully(handle, Buffer.alloc(4096), '/dev/full')).rejects.toMatchObject({ code: 'ENOSPC', message: "ENOSPC: no space left on device, write '/dev/full'" });
    } finally {
      await handle.close();
    }
  });
});

describe('atomic and durable files', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-durable-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a file atomically, creating its directories, and leaves no temporary file', async () => {
    const file = join(dir, 'a', 'b', '_metadata');
    await writeFileAtomic(file, 'one', `${file}.tmp`);
    await writeFileAtomic(file, 'two', `${file}.tmp`);
    expect(await readFile(file, 'utf8')).toBe('two');
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['_metadata']);
  });

  it('keeps the old content and removes the temporary file when the write fails', async () => {
    const file = join(dir, '_metadata');
    await writeFile(file, 'old');
    // The temporary file cannot be made: its directory does not exist.
    await expect(writeFileAtomic(file, 'new', join(dir, 'missing', 'tmp'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(file, 'utf8')).toBe('old');
  });

  it('copies a file durably into a new directory', async () => {
    await writeFile(join(dir, 'from'), 'state');
    await copyFileDurably(join(dir, 'from'), join(dir, 'savepoint', 'x', 'to'));
    expect(await readFile(join(dir, 'savepoint', 'x', 'to'), 'utf8')).toBe('state');
    await makeDirectoryDurably(join(dir, 'savepoint', 'x'));
  });
});
