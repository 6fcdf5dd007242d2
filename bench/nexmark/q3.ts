// Nexmark q3, incremental join: auctions in category 10 whose seller lives in
// OR, ID or CA, with the seller's name, city and state. Persons keyed by id
// and auctions keyed by seller are connected into one keyed co-process (as
// the Nexmark reference implementations join them): a person is kept in the
// key's state once seen; an auction that arrives before its seller (the two
// come from different source splits) waits in a list until the person does.
// q3-union.ts is the same query over one unioned stream.
//   npx weir run bench/nexmark/q3.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob, ListStateDescriptor, ValueStateDescriptor } from '@weir/sdk';
import { auctionsOf, nexmarkSink, nexmarkSource, parseNexmarkArgs, personsOf } from './common.ts';
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
  // One filter chained to the source: an operator with two consumers ends its chain, so the two
  // sides split after it and only the few selected events cross to them.
  const selected = nexmarkSource(env, 'q3', args)
    .filter((e) => (e.type === 'person' && states.has(e.state)) || (e.type === 'auction' && e.category === Q3_CATEGORY))
    .name('Filter');
  const sellers = personsOf(selected)
    .map((p): Seller => ({ id: p.id, name: p.name, city: p.city, state: p.state }))
    .name('ProjectPerson');
  const auctions = auctionsOf(selected)
    .map((a): SoldAuction => ({ id: a.id, seller: a.seller }))
    .name('ProjectAuction');
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
