// Enriches an event stream with a slowly changing rules table through
// broadcast state (Flink's broadcast state pattern).
//   npx weir run examples/broadcast-enrichment.ts -p 2 -- --events 20000 --output /tmp/enriched
// Purchases (user u<n>, a product category) are keyed by user; every few
// seconds a new version of the discount table comes on a second stream,
// broadcast to every subtask, where it replaces the category's entry in the
// broadcast state. Each purchase is written enriched with the discount in
// force when it was processed: {"user", "category", "price", "discount",
// "version", "paid"}; at the end each user's total is written too. Rules and
// state are checkpointed: after a failure the table every subtask held is
// restored with the purchases' keyed state, and output is exactly once.
import { parseArgs } from 'node:util';
import { defineJob, MapStateDescriptor, ValueStateDescriptor } from '@weir/sdk';

interface Purchase {
  user: string;
  category: string;
  price: number;
}

/** One entry of the discount table: `percent` off in `category`, from table `version` on. */
interface Discount {
  category: string;
  percent: number;
  version: number;
}

const CATEGORIES = ['books', 'games', 'music', 'garden'];
const discounts = new MapStateDescriptor<string, Discount>('discounts');
const spent = new ValueStateDescriptor<number>('spent', 0);

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      events: { type: 'string', default: '20000' },
      rate: { type: 'string', default: '2000' },
      versions: { type: 'string', default: '5' },
      output: { type: 'string' },
    },
    strict: true,
  });
  const events = Number(values.events);
  const versions = Number(values.versions);
  if (!Number.isInteger(events) || !Number.isInteger(versions) || !values.output) {
    throw new Error('broadcast-enrichment needs --output DIR [--events N] [--rate R] [--versions V]');
  }
  env.setJobName('broadcast-enrichment').enableCheckpointing(1000);

  // The rules table: version v sets every category's discount; one entry per 0.5 s.
  const table = env
    .fromGenerator(
      (i): Discount => {
        const version = Math.floor(i / CATEGORIES.length);
        return { category: CATEGORIES[i % CATEGORIES.length]!, percent: (version * 5 + i * 3) % 30, version };
      },
      { count: versions * CATEGORIES.length, ratePerSecond: 2 },
    )
    .uid('discount-table')
    .setParallelism(1);

  env
    .fromGenerator((i): Purchase => ({ user: `u${i % 97}`, category: CATEGORIES[(i * 7) % CATEGORIES.length]!, price: 5 + (i % 40) }), {
      count: events,
      ratePerSecond: Number(values.rate),
    })
    .uid('purchases')
    .keyBy((p) => p.user)
    .connect(table.broadcast(discounts))
    .process<Record<string, unknown>>({
      processElement(purchase, ctx, out) {
        const discount = ctx.getBroadcastState(discounts).get(purchase.category);
        const paid = Math.round(purchase.price * (100 - (discount?.percent ?? 0))) / 100;
        const total = ctx.getState(spent);
        total.update((total.value() ?? 0) + paid);
        out.collect({ ...purchase, discount: discount?.percent ?? 0, version: discount?.version ?? null, paid });
        // Fires at the end of input (no watermarks): the user's total.
        ctx.timerService().registerEventTimeTimer(1);
      },
      processBroadcastElement(discount, ctx) {
        ctx.getBroadcastState(discounts).put(discount.category, discount);
      },
      onTimer(_timestamp, ctx, out) {
        out.collect({ user: ctx.currentKey, spent: Math.round((ctx.getState(spent).value() ?? 0) * 100) / 100 });
      },
    })
    .uid('enrich')
    .writeToFile(values.output);
});
