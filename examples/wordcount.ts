// Counts the words of a text file.
//   npx weir run examples/wordcount.ts -- --input README.md --output /tmp/wordcount
// Writes JSON lines {"word": "...", "count": N} to part files in the output
// directory: a running count per word, the last line for a word holds its total.
import { parseArgs } from 'node:util';
import { defineJob } from '@weir/sdk';

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: { input: { type: 'string' }, output: { type: 'string' } },
    strict: true,
  });
  if (!values.input || !values.output) throw new Error('wordcount needs --input FILE and --output DIR');

  env.setJobName('wordcount');
  env
    .readTextFile(values.input)
    .uid('lines')
    .flatMap((line) => line.toLowerCase().split(/[^\p{L}\p{N}']+/u).filter((w) => w.length > 0))
    .name('Tokenize')
    .map((word) => ({ word, count: 1 }))
    .keyBy((wc) => wc.word)
    .reduce((a, b) => ({ word: a.word, count: a.count + b.count }))
    .uid('counts')
    .writeToFile(values.output)
    .uid('sink');
});
