// Nexmark q3 in one-input form; q3.ts is the same query with a keyed
// co-process, and the benchmark compares the two. Auctions in category 10
// whose seller lives in OR, ID or CA, with the seller's name, city and state.
// Persons and auctions are projected to one stream and joined per person id
// (the auction's seller) in a keyed process function: a person is kept once
// seen; an auction that arrives before its seller (the two come from
// different source splits) waits in a list until the person does.
//   npx weir run bench/nexmark/q3-union.ts -p 2 -- --events N [--output DIR] (options: common.ts)
import { defineJob, ListStateDescriptor, ValueStateDescriptor } from '@weir/sdk';
import type { Auction } from './generator.ts';
import { nexmarkSink, nexmarkSource, parseNexmarkArgs } from './common.ts';
import { Q3_CATEGORY, Q3_STATES, type Q3Row } from './results.ts';

type Side = { kind: 'person'; id: number; name: string; city: string; state: string } | { kind: 'auction'; id: number; seller: number };
interface Seller {
  name: string;
  city: string;
  state: string;
}

const sellerState = new ValueStateDescriptor<Seller>('seller');
const waitingAuctions = new ListStateDescriptor<number>('waiting-auctions');
const states = new Set(Q3_STATES);

export default defineJob((env, argv) => {
  const args = parseNexmarkArgs(argv, 'q3-union');
  const sides = nexmarkSource(env, 'q3-union', args)
    .filter((e) => (e.type === 'person' && states.has(e.state)) || (e.type === 'auction' && e.category === Q3_CATEGORY))
    .name('Filter')
    .map((e): Side => {
      if (e.type === 'person') return { kind: 'person', id: e.id, name: e.name, city: e.city, state: e.state };
      const a = e as Auction;
      return { kind: 'auction', id: a.id, seller: a.seller };
    })
    .name('Project');
  const rows = sides
    .keyBy((s) => (s.kind === 'person' ? s.id : s.seller))
    .process<Q3Row>((side, ctx, out) => {
      const seller = ctx.getState(sellerState);
      if (side.kind === 'person') {
        const person = { name: side.name, city: side.city, state: side.state };
        seller.update(person);
        const waiting = ctx.getListState(waitingAuctions);
        for (const id of waiting.get()) out.collect({ ...person, id });
        waiting.clear();
        return;
      }
      const person = seller.value();
      if (person) out.collect({ name: person.name, city: person.city, state: person.state, id: side.id });
      else ctx.getListState(waitingAuctions).add(side.id);
    })
    .uid('q3-join')
    .name('JoinPersonAuction');
  nexmarkSink(rows, args);
});
