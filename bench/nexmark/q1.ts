// Nexmark q1, currency conversion: each bid with its price in euros (dollars x 0.908).
//   npx weir run bench/nexmark/q1.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob } from '@weir/sdk';
import { bidsOf, nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import { EURO_PER_DOLLAR, type Q1Row } from './results.ts';

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q1');
  const rows = bidsOf(nexmarkSource(env, 'q1', args))
    .map((b): Q1Row => ({ auction: b.auction, bidder: b.bidder, price: EURO_PER_DOLLAR * b.price, dateTime: b.dateTime, extra: b.extra }))
    .name('ToEuro');
  nexmarkSink(rows, args);
});
