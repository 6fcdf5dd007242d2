// Nexmark q9, winning bids: each auction with its winning bid, the highest
// valid bid before the auction expires (winning-bids.ts), emitted at the expiry.
//   npx weir run bench/nexmark/q9.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob } from '@weir/sdk';
import { nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import { winningBids } from './winning-bids.ts';

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q9');
  nexmarkSink(winningBids(nexmarkSource(env, 'q9', args), 'q9-winning-bids'), args);
});
