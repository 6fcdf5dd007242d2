// Nexmark q8, monitor new users: people who registered and opened an auction
// in the same tumbling 10 s window. Persons (by id) and auctions (by seller)
// are grouped per key and window by a window coGroup (Flink's
// CoGroupedStreams, the general window join), which emits a person once per
// window when the window holds at least one auction of theirs: one row per
// person and window, as Nexmark's query (a join of the windowed persons and
// the windowed sellers). q8-union.ts is the same query over one unioned
// stream with an incremental aggregate.
//   npx weir run bench/nexmark/q8.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob, TumblingEventTimeWindows, type DataStream } from '@weir/sdk';
import type { Auction } from './generator.ts';
import { nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import { WINDOW_MS, type Q8Row } from './results.ts';

interface NewPerson {
  id: number;
  name: string;
  dateTime: number;
}

/** Start of the tumbling window that holds `t`. */
const windowStart = (t: number): number => t - (((t % WINDOW_MS) + WINDOW_MS) % WINDOW_MS);

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q8');
  // Filtered and projected in operators chained to the source (an operator with two consumers
  // ends its chain), so only small records of persons and sellers cross to the two sides.
  const projected = nexmarkSource(env, 'q8', args)
    .filter((e) => e.type !== 'bid')
    .name('PersonsAndAuctions')
    .map((e): NewPerson | number => (e.type === 'person' ? { id: e.id, name: e.name, dateTime: e.dateTime } : (e as Auction).seller))
    .name('Project');
  // Filters that narrow the stream's type (the cast is type-only).
  const persons = projected.filter((x) => typeof x !== 'number').name('Persons') as unknown as DataStream<NewPerson>;
  const sellers = projected.filter((x) => typeof x === 'number').name('Sellers') as unknown as DataStream<number>;
  const rows = persons
    .coGroup(sellers)
    .where((p) => p.id)
    .equalTo((seller) => seller)
    .window(TumblingEventTimeWindows.of(WINDOW_MS))
    .apply<Q8Row>((people, sold, out) => {
      if (sold.length === 0) return;
      for (const p of people) out.collect({ id: p.id, name: p.name, windowStart: windowStart(p.dateTime) });
    })
    .uid('q8-join')
    .name('NewSellers');
  nexmarkSink(rows, args);
});
