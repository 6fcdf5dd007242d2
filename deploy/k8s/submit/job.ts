// The job the submit Job runs: keyed counts of generated events (endless, or
// --events N of them), checkpointed, written exactly-once under --output (on the shared checkpoint volume, so
// any worker can write and you can read it from any Weir pod).
import { parseArgs } from 'node:util';
import { defineJob, ValueStateDescriptor } from '@weir/sdk';

const countState = new ValueStateDescriptor<number>('count', 0);

export default defineJob((env, args) => {
  const { values } = parseArgs({ args: [...args], options: { events: { type: 'string' }, keys: { type: 'string' }, rate: { type: 'string' }, output: { type: 'string' } }, strict: true });
  if (!values.output) throw new Error('the job needs --output DIR [--events N] [--keys K] [--rate EVENTS_PER_SECOND]');
  const keys = Number(values.keys ?? 100);
  env.setJobName('keyed-counts');
  env.enableCheckpointing(10_000);
  env
    .fromGenerator((i) => ({ key: `k${i % keys}` }), { ratePerSecond: Number(values.rate ?? 1000), ...(values.events ? { count: Number(values.events) } : {}) })
    .uid('events')
    .keyBy((e) => e.key)
    .process<{ key: string; count: number }>((event, ctx, out) => {
      const count = ctx.getState(countState);
      const next = (count.value() ?? 0) + 1;
      count.update(next);
      out.collect({ key: event.key, count: next });
    })
    .uid('count')
    .writeToFile(values.output)
    .uid('sink');
});
