// Reading a job's file-sink output back into a test: the committed part files
// of a directory, as JSON lines or text lines.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The part files `writeToFile(dir)` committed in `directory`, sorted by name (in-progress files of an exactly-once sink are not among them). */
export async function partFiles(directory: string): Promise<string[]> {
  const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return names.filter((f) => f.startsWith('part-')).sort().map((f) => join(directory, f));
}

/**
 * Every line of every committed part file in `directory` (empty lines left
 * out), file by file. A directory the job never wrote to yields none.
 */
export async function readTextLines(directory: string): Promise<string[]> {
  const lines: string[] = [];
  for (const file of await partFiles(directory)) {
    for (const line of (await readFile(file, 'utf8')).split('\n')) if (line.trim() !== '') lines.push(line);
  }
  return lines;
}

/**
 * Every record of every committed part file in `directory`, parsed as JSON
 * lines: what `writeToFile(dir)` wrote. The order is by file (subtask), then
 * as written.
 */
export async function readJsonLines<T>(directory: string): Promise<T[]> {
  return (await readTextLines(directory)).map((line) => JSON.parse(line) as T);
}
