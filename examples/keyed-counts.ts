// Counts generated events per key.
//   npx weir run examples/keyed-counts.ts -- --events 100000 --keys 10 --output /tmp/counts
// Event i has key k<i mod K>; writes one JSON line {"key": "...", "count": C}
// per update to part files in the output directory.
import { parseArgs } from 'node:util';
import { defineJob, ValueStateDescriptor } from '@weir/sdk';

interface KeyCount {
  key: string;
  count: number;
}

const countState = new ValueStateDescriptor<number>('count', 0);

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      events: { type: 'string' },
      keys: { type: 'string' },
      rate: { type: 'string' },
      output: { type: 'string' },
    },
    strict: true,
  });
  const events = Number(values.events);
  const keys = Number(values.keys);
  if (!Number.isInteger(events) || !Number.isInteger(keys) || keys < 1 || !values.output) {
    throw new Error('keyed-counts needs --events N --keys K --output DIR [--rate R]');
  }

  env.setJobName('keyed-counts');
  env
    .fromGenerator((i) => ({ key: `k${i % keys}`, seq: i }), {
      count: events,
      ...(values.rate ? { ratePerSecond: Number(values.rate) } : {}),
    })
    .uid('events')
    .keyBy((e) => e.key)
    .process<KeyCount>((event, ctx, out) => {
      const count = ctx.getState(countState);
      const next = (count.value() ?? 0) + 1;
      count.update(next);
      out.collect({ key: event.key, count: next });
    })
    .uid('count')
    .writeToFile(values.output)
    .uid('sink');
});
