// Nexmark q2, selection: auction and price of the bids whose auction mod 123 = 0.
//   npx weir run bench/nexmark/q2.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob } from '@weir/sdk';
import type { Bid } from './generator.ts';
import { nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import type { Q2Row } from './results.ts';

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q2');
  const rows = nexmarkSource(env, 'q2', args)
    .filter((e) => e.type === 'bid' && e.auction % 123 === 0)
    .name('Select')
    .map((e): Q2Row => ({ auction: (e as Bid).auction, price: (e as Bid).price }))
    .name('Project');
  nexmarkSink(rows, args);
});
