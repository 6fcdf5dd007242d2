// Enriches a stream of purchases with each buyer's profile, looked up over
// HTTP with async I/O: up to 100 lookups in flight per subtask, a 2 s
// timeout with a fallback profile, three attempts per lookup; with
// checkpoints, lookups in flight are part of them and the output is exactly once.
//   npx weir local &
//   npx weir run examples/async-lookup/job.ts -- --events 20000 --output /tmp/enriched [--service http://host:port]
// Without --service each slot thread starts the stand-in profile service of
// profile-service.ts on loopback and looks profiles up there.
import { parseArgs } from 'node:util';
import { AsyncDataStream, AsyncRetryStrategies, defineJob } from '@weir/sdk';
import { startProfileService, type Profile } from './profile-service.ts';

interface Purchase {
  seq: number;
  user: number;
  amount: number;
}

interface EnrichedPurchase extends Purchase {
  name: string;
  tier: Profile['tier'] | 'unknown';
}

export default defineJob((env, args) => {
  const { values } = parseArgs({ args: [...args], options: { events: { type: 'string' }, output: { type: 'string' }, service: { type: 'string' } }, strict: true });
  const events = Number(values.events ?? 20_000);
  if (!Number.isInteger(events) || events < 1 || !values.output) throw new Error('async-lookup needs --output DIR [--events N] [--service URL]');

  // One stand-in service per slot thread, started on its first lookup.
  let service: Promise<string> | undefined;
  const serviceUrl = () => (service ??= values.service ? Promise.resolve(values.service) : startProfileService());

  env.setJobName('async-lookup').enableCheckpointing(1000);
  const purchases = env
    .fromGenerator<Purchase>((i) => ({ seq: i, user: (i * 7919) % 1000, amount: (i % 50) + 1 }), { count: events, ratePerSecond: 5000 })
    .uid('purchases');

  AsyncDataStream.unorderedWait(
    purchases,
    async (purchase, ctx): Promise<EnrichedPurchase> => {
      const response = await fetch(`${await serviceUrl()}/users/${purchase.user}`, { signal: ctx.signal });
      if (!response.ok) throw new Error(`profile of user ${purchase.user}: HTTP ${response.status} ${await response.text()}`);
      const profile = (await response.json()) as Profile;
      return { ...purchase, name: profile.name, tier: profile.tier };
    },
    2000,
    100,
    {
      // A purchase whose lookups took longer than 2 s goes on without a profile.
      timeout: (purchase) => ({ ...purchase, name: 'unknown', tier: 'unknown' }),
      retry: AsyncRetryStrategies.exponentialBackoff({ maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 500 }),
    },
  )
    .uid('enrich')
    .name('EnrichWithProfile')
    .onError('dead-letter')
    .writeToFile(values.output)
    .uid('sink');
});
