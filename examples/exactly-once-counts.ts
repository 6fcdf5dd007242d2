// Counts generated events per key with exactly-once output.
//   npx weir run examples/exactly-once-counts.ts -p 2 -- --events 100000 --keys 10 --checkpoint-interval 500 --output /tmp/eo
// Event i has key k<i mod K>; the count per key lives in keyed state and is
// checkpointed; every update {"key": "...", "count": C} goes to part files that
// are committed only when the checkpoint covering them completes. After any
// number of failures, each key's committed counts are exactly 1..total, once each.
import { parseArgs } from 'node:util';
import { defineJob, ValueStateDescriptor, RestartStrategies } from '@weir/sdk';

const countState = new ValueStateDescriptor<number>('count', 0);

export default defineJob((env, args) => {
  const { values } = parseArgs({
    args: [...args],
    options: {
      events: { type: 'string' },
      keys: { type: 'string' },
      rate: { type: 'string' },
      'checkpoint-interval': { type: 'string' },
      output: { type: 'string' },
    },
    strict: true,
  });
  const events = Number(values.events);
  const keys = Number(values.keys);
  if (!Number.isInteger(events) || !Number.isInteger(keys) || keys < 1 || !values.output) {
    throw new Error('exactly-once-counts needs --events N --keys K --output DIR [--rate R] [--checkpoint-interval MS]');
  }

  env.setJobName('exactly-once-counts');
  env.enableCheckpointing(Number(values['checkpoint-interval'] ?? 1000));
  env.setRestartStrategy(RestartStrategies.exponentialDelay({ maxAttempts: 20, initialBackoffMs: 200, maxBackoffMs: 2000 }));
  env
    .fromGenerator((i) => ({ key: `k${i % keys}`, seq: i }), {
      count: events,
      ...(values.rate ? { ratePerSecond: Number(values.rate) } : {}),
    })
    .uid('events')
    .keyBy((e) => e.key)
    .process<{ key: string; count: number }>(
      (event, ctx, out) => {
        const count = ctx.getState(countState);
        const next = (count.value() ?? 0) + 1;
        count.update(next);
        out.collect({ key: event.key, count: next });
      },
      // Declared up front: a restore checks it against the savepoint before any record flows.
      { states: [countState] },
    )
    .uid('count')
    .writeToFile(values.output)
    .uid('sink');
});
