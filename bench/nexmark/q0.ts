// Nexmark q0, pass-through: every bid, unchanged (measures the framework's own cost).
//   npx weir run bench/nexmark/q0.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob } from '@weir/sdk';
import { bidsOf, nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q0');
  nexmarkSink(bidsOf(nexmarkSource(env, 'q0', args)), args);
});
