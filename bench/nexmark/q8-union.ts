// Nexmark q8 in one-input form; q8.ts is the same query as a window coGroup,
// and the benchmark compares the two. Monitor new users: people who
// registered and opened an auction in the same tumbling 10 s window. Persons
// and auctions are one stream keyed by person id (an auction's seller); per
// key and window an aggregate keeps the person's name and whether they sold.
//   npx weir run bench/nexmark/q8-union.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob, TumblingEventTimeWindows, type AggregateFunction, type TimeWindow } from '@weir/sdk';
import type { Auction } from './generator.ts';
import { nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import { WINDOW_MS, type Q8Row } from './results.ts';

/** A registration (with the name) or an auction opened by the person. */
interface Activity {
  person: number;
  name: string | null;
}
interface Seen {
  name: string | null;
  sold: boolean;
}

const personAndSeller: AggregateFunction<Activity, Seen, Seen> = {
  createAccumulator: () => ({ name: null, sold: false }),
  add(activity, seen) {
    if (activity.name === null) seen.sold = true;
    else seen.name = activity.name;
    return seen;
  },
  getResult: (seen) => seen,
};

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q8-union');
  const rows = nexmarkSource(env, 'q8-union', args)
    .filter((e) => e.type !== 'bid')
    .name('PersonsAndAuctions')
    .map((e): Activity => (e.type === 'person' ? { person: e.id, name: e.name } : { person: (e as Auction).seller, name: null }))
    .name('Project')
    .keyBy((a) => a.person)
    .window<TimeWindow>(TumblingEventTimeWindows.of(WINDOW_MS))
    .aggregate<Seen, Seen, Q8Row>(personAndSeller, (id: number, ctx, [seen], out) => {
      if (seen!.name !== null && seen!.sold) out.collect({ id, name: seen!.name, windowStart: ctx.window.start });
    })
    .uid('q8-join')
    .name('NewSellers');
  nexmarkSink(rows, args);
});
