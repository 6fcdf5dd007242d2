// Benchmark job: generator -> map -> keyBy -> keyed count -> discard, ~100-byte events.
//   args: [--keys K] [--no-chaining] [--state rocksdb|heap] [--events N] [--checkpoint-interval MS] [--group-per-vertex]
// --group-per-vertex puts each vertex in a slot sharing group of its own: a slot per subtask, as without slot sharing.
import { parseArgs } from 'node:util';
import { defineJob, ValueStateDescriptor } from '@weir/sdk';

const count = new ValueStateDescriptor<number>('count', 0);
const padding = 'p'.repeat(56);

export default defineJob((env, args) => {
  const { values } = parseArgs({ args: [...args], options: { keys: { type: 'string' }, 'no-chaining': { type: 'boolean' }, state: { type: 'string' }, events: { type: 'string' }, 'checkpoint-interval': { type: 'string' }, 'group-per-vertex': { type: 'boolean' } } });
  const keys = Number(values.keys ?? 10_000);
  env.setJobName('bench-keyed-count');
  if (values['no-chaining']) env.disableOperatorChaining();
  env.setStateBackend(values.state === 'heap' ? 'heap' : 'rocksdb');
  if (values['checkpoint-interval'] !== undefined) env.enableCheckpointing(Number(values['checkpoint-interval']));
  const events = env
    .fromGenerator((i) => ({ key: `key-${i % keys}`, seq: i, ts: 1_700_000_000_000 + i, payload: padding }), values.events !== undefined ? { count: Number(values.events) } : {})
    .uid('events');
  const counts = events
    .map((e) => ({ key: e.key, seq: e.seq, ts: e.ts, payload: e.payload, bucket: e.seq & 7 }))
    .uid('enrich')
    .keyBy((e) => e.key)
    .process<number>((_e, ctx, out) => {
      const s = ctx.getState(count);
      const n = (s.value() ?? 0) + 1;
      s.update(n);
      out.collect(n);
    })
    .uid('count');
  counts.discard().uid('discard');
  if (values['group-per-vertex']) {
    events.slotSharingGroup('source');
    counts.slotSharingGroup('count');
  }
});
