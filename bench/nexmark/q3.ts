// Nexmark q3, incremental join: auctions in category 10 whose seller lives in
// OR, ID or CA, with the seller's name, city and state. Persons keyed by id
// and auctions keyed by seller are connected into one keyed co-process (as
// the Nexmark reference implementations join them): a person is kept in the
// key's state once seen; an auction that arrives before its seller (the two
// come from different source splits) waits in a list until the person does.
// q3-union.ts is the same query over one unioned stream.
//   npx weir run bench/nexmark/q3.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob, ListStateDescriptor, ValueStateDescriptor, type DataStream } from '@weir/sdk';
import type { Auction } from './generator.ts';
import { nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import { Q3_CATEGORY, Q3_STATES, type Q3Row } from './results.ts';

interface Seller {
  id: number;
  name: string;
  city: string;
  state: string;
}
interface SoldAuction {
  id: number;
  seller: number;
}

const sellerState = new ValueStateDescriptor<Seller>('seller');
const waitingAuctions = new ListStateDescriptor<number>('waiting-auctions');
const states = new Set(Q3_STATES);

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q3');
  // Filtered and projected in operators chained to the source (an operator with two consumers
  // ends its chain), so the two sides split after them and only the few selected, small records cross.
  const projected = nexmarkSource(env, 'q3', args)
    .filter((e) => (e.type === 'person' && states.has(e.state)) || (e.type === 'auction' && e.category === Q3_CATEGORY))
    .name('Filter')
    .map((e): Seller | SoldAuction => (e.type === 'person' ? { id: e.id, name: e.name, city: e.city, state: e.state } : { id: (e as Auction).id, seller: (e as Auction).seller }))
    .name('Project');
  // Filters that narrow the stream's type (the cast is type-only).
  const sellers = projected.filter((x) => 'name' in x).name('Persons') as unknown as DataStream<Seller>;
  const auctions = projected.filter((x) => 'seller' in x).name('Auctions') as unknown as DataStream<SoldAuction>;
  const rows = sellers
    .keyBy((p) => p.id)
    .connect(auctions.keyBy((a) => a.seller))
    .process<Q3Row>({
      processElement1(person, ctx, out) {
        ctx.getState(sellerState).update(person);
        const waiting = ctx.getListState(waitingAuctions);
        for (const id of waiting.get()) out.collect({ name: person.name, city: person.city, state: person.state, id });
        waiting.clear();
      },
      processElement2(auction, ctx, out) {
        const person = ctx.getState(sellerState).value();
        if (person) out.collect({ name: person.name, city: person.city, state: person.state, id: auction.id });
        else ctx.getListState(waitingAuctions).add(auction.id);
      },
    })
    .uid('q3-join')
    .name('JoinPersonAuction');
  nexmarkSink(rows, args);
});
