// Restart strategies (Flink's restart-strategy.type): how a failed job is
// retried. The serializable form the JobGraph and the cluster configuration
// carry, the compact text form `weir run --restart-strategy` and the config
// file read (`fixed-delay:attempts=3,delay=1s`), and a one-line description.
import { z } from 'zod';
import { ValidationError } from './errors.ts';

const ms = z.number().int().min(0);

/** The restart strategy as the JobGraph and the coordinator's options carry it, told apart by `type`. */
export const restartStrategySchema = z.discriminatedUnion('type', [
  /** Never restart: the first failure fails the job. */
  z.object({ type: z.literal('none') }),
  /** Restart up to `attempts` times, waiting `delayMs` before each attempt. */
  z.object({ type: z.literal('fixed-delay'), attempts: z.number().int().min(0), delayMs: ms }),
  /**
   * Wait `initialBackoffMs` before the first restart and `multiplier` times
   * longer before each next one, up to `maxBackoffMs`, each wait varied by up
   * to `jitter` of itself. A failure more than `resetBackoffThresholdMs` after
   * the previous one's restart starts over at the initial backoff (and the
   * attempt count at 0). `maxAttempts`: restarts before the job fails
   * (unlimited when absent).
   */
  z.object({
    type: z.literal('exponential-delay'),
    initialBackoffMs: ms,
    maxBackoffMs: ms,
    multiplier: z.number().min(1),
    resetBackoffThresholdMs: z.number().int().min(1),
    jitter: z.number().min(0).max(1),
    maxAttempts: z.number().int().min(0).optional(),
  }),
  /** Restart after `delayMs` unless more than `maxFailures` failures fall within `intervalMs`. */
  z.object({ type: z.literal('failure-rate'), maxFailures: z.number().int().min(1), intervalMs: z.number().int().min(1), delayMs: ms }),
]);
/** How a failed job is restarted: `none`, `fixed-delay`, `exponential-delay` or `failure-rate`. */
export type RestartStrategy = z.infer<typeof restartStrategySchema>;
/** The names of the restart strategies. */
export const RESTART_STRATEGY_TYPES = ['none', 'fixed-delay', 'exponential-delay', 'failure-rate'] as const;

/** The exponential-delay strategy's fields. */
export type ExponentialDelayStrategy = Extract<RestartStrategy, { type: 'exponential-delay' }>;

/** The exponential-delay parameters that are not given take these values; also the cluster's default strategy. */
export const DEFAULT_EXPONENTIAL_DELAY: ExponentialDelayStrategy = {
  type: 'exponential-delay',
  initialBackoffMs: 500,
  maxBackoffMs: 5_000,
  multiplier: 2,
  resetBackoffThresholdMs: 3_600_000,
  jitter: 0.1,
  maxAttempts: 5,
};

/** The cluster's default when neither the job nor `weir run` sets one (`coordinator.restartStrategy` changes it). */
export const DEFAULT_RESTART_STRATEGY: RestartStrategy = DEFAULT_EXPONENTIAL_DELAY;

/** The parameters each strategy takes in the compact text form, with what they set and whether they are durations. */
const PARAMETERS: Record<Exclude<RestartStrategy['type'], 'none'>, Record<string, { field: string; duration?: true; optional?: true }>> = {
  'fixed-delay': { attempts: { field: 'attempts' }, delay: { field: 'delayMs', duration: true } },
  'exponential-delay': {
    'initial-backoff': { field: 'initialBackoffMs', duration: true, optional: true },
    'max-backoff': { field: 'maxBackoffMs', duration: true, optional: true },
    multiplier: { field: 'multiplier', optional: true },
    'reset-threshold': { field: 'resetBackoffThresholdMs', duration: true, optional: true },
    jitter: { field: 'jitter', optional: true },
    attempts: { field: 'maxAttempts', optional: true },
  },
  'failure-rate': { 'max-failures': { field: 'maxFailures' }, interval: { field: 'intervalMs', duration: true }, delay: { field: 'delayMs', duration: true } },
};

const EXAMPLES = 'none | fixed-delay:attempts=3,delay=1s | exponential-delay:initial-backoff=500ms,max-backoff=1m,multiplier=2,reset-threshold=1h,jitter=0.1,attempts=10 | failure-rate:max-failures=3,interval=5m,delay=10s';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Reads a duration: `250ms`, `1s`, `1.5m`, `1h`, or a number of milliseconds. Throws a ValidationError naming `what`. */
export function parseDurationMs(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new ValidationError(`${what}: '${text}' is not a duration (write e.g. 500ms, 1s, 5m, 1h, or milliseconds)`);
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!);
}

/**
 * Reads the compact form of a restart strategy, e.g. `fixed-delay:attempts=3,delay=1s`
 * (parameters of exponential-delay that are left out keep the defaults).
 * Throws a ValidationError that names the problem and shows the forms.
 */
export function parseRestartStrategy(text: string): RestartStrategy {
  const [type = '', params = ''] = text.trim().split(/:(.*)/s);
  if (type === 'none') {
    if (params) throw new ValidationError(`restart strategy 'none' takes no parameters (got '${params}')`);
    return { type: 'none' };
  }
  if (!(type in PARAMETERS)) throw new ValidationError(`unknown restart strategy '${type}'; expected one of: ${EXAMPLES}`);
  const known = PARAMETERS[type as keyof typeof PARAMETERS];
  const fields: Record<string, unknown> = type === 'exponential-delay' ? { ...DEFAULT_EXPONENTIAL_DELAY, maxAttempts: undefined } : { type };
  for (const pair of params.split(',').filter((p) => p.trim() !== '')) {
    const [name = '', value] = pair.split('=').map((s) => s.trim());
    const param = known[name];
    if (!param) throw new ValidationError(`restart strategy '${type}' has no parameter '${name}'; it takes: ${Object.keys(known).join(', ')}`);
    if (value === undefined || value === '') throw new ValidationError(`restart strategy '${type}': parameter '${name}' needs a value (${name}=...)`);
    const what = `restart strategy '${type}', parameter '${name}'`;
    if (param.duration) fields[param.field] = parseDurationMs(value, what);
    else if (Number.isFinite(Number(value))) fields[param.field] = Number(value);
    else throw new ValidationError(`${what}: '${value}' is not a number`);
  }
  const missing = Object.entries(known).filter(([, p]) => !p.optional && fields[p.field] === undefined).map(([n]) => n);
  if (missing.length > 0) throw new ValidationError(`restart strategy '${type}' needs ${missing.join(' and ')} (e.g. ${EXAMPLES.split(' | ').find((e) => e.startsWith(type))})`);
  return checkRestartStrategy(fields);
}

/** Checks a restart strategy built in code or read from text; throws a ValidationError naming the bad field. */
export function checkRestartStrategy(strategy: unknown): RestartStrategy {
  const parsed = restartStrategySchema.safeParse(strategy);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ValidationError(`invalid restart strategy: ${issue.path.join('.') || 'type'}: ${issue.message}`);
}

function duration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** One line for a user: the strategy in the compact form `parseRestartStrategy` reads. */
export function describeRestartStrategy(s: RestartStrategy): string {
  switch (s.type) {
    case 'none':
      return 'none';
    case 'fixed-delay':
      return `fixed-delay:attempts=${s.attempts},delay=${duration(s.delayMs)}`;
    case 'failure-rate':
      return `failure-rate:max-failures=${s.maxFailures},interval=${duration(s.intervalMs)},delay=${duration(s.delayMs)}`;
    case 'exponential-delay':
      return (
        `exponential-delay:initial-backoff=${duration(s.initialBackoffMs)},max-backoff=${duration(s.maxBackoffMs)},multiplier=${s.multiplier},` +
        `reset-threshold=${duration(s.resetBackoffThresholdMs)},jitter=${s.jitter}${s.maxAttempts === undefined ? '' : `,attempts=${s.maxAttempts}`}`
      );
  }
}
