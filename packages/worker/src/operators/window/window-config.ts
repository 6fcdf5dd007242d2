import type { TimeDomain } from '@weir/common/runtime';
import { createWindowAssigner, type WindowAssigner, type WindowAssignerSpec } from './window-assigners.ts';

/** When a window fires (the SDK's built-in triggers). */
export interface WindowTrigger {
  kind: 'event-time' | 'processing-time' | 'count' | 'never';
  /** For `count`: elements since the last firing. */
  count: number;
  /** Clear the window's contents when it fires. */
  purge: boolean;
}

/** The config of a 'keyed.window' operator, checked. */
export interface WindowConfig {
  assigner: WindowAssigner;
  trigger: WindowTrigger;
  allowedLatenessMs: number;
  lateTag: string | null;
  /** The clock of the trigger's timers, if it sets any. */
  triggerDomain: TimeDomain | undefined;
  /** The clock of the cleanup timers (none for the global window). */
  cleanupDomain: TimeDomain | undefined;
}

const TRIGGER_KINDS = ['event-time', 'processing-time', 'count', 'never'] as const;

/** Reads a 'keyed.window' operator's config as the SDK writes it; throws naming what is wrong. */
export function parseWindowConfig(config: Readonly<Record<string, unknown>>): WindowConfig {
  const assigner = createWindowAssigner(config.assigner as WindowAssignerSpec | undefined);
  const raw = config.trigger as { kind?: unknown; count?: unknown; purge?: unknown } | undefined;
  if (!raw || !TRIGGER_KINDS.includes(raw.kind as WindowTrigger['kind'])) {
    throw new Error(`unknown window trigger ${JSON.stringify(raw?.kind)}: the job was built by an SDK this worker does not match`);
  }
  const kind = raw.kind as WindowTrigger['kind'];
  const count = kind === 'count' ? raw.count : 0;
  if (typeof count !== 'number' || !Number.isInteger(count) || (kind === 'count' && count < 1)) {
    throw new Error(`a count trigger needs a whole number of elements >= 1, got ${JSON.stringify(raw.count)}`);
  }
  const lateness = config.allowedLatenessMs ?? 0;
  if (typeof lateness !== 'number' || !Number.isFinite(lateness) || lateness < 0) {
    throw new Error(`allowedLatenessMs must be a number of ms >= 0, got ${JSON.stringify(lateness)}`);
  }
  const lateTag = config.lateTag ?? null;
  if (lateTag !== null && typeof lateTag !== 'string') throw new Error(`lateTag must be a side output tag, got ${JSON.stringify(lateTag)}`);
  return {
    assigner,
    trigger: { kind, count, purge: raw.purge === true },
    // Lateness is an event-time notion (as in Flink, ignored for processing time).
    allowedLatenessMs: assigner.eventTime ? lateness : 0,
    lateTag,
    triggerDomain: kind === 'event-time' ? 'event-time' : kind === 'processing-time' ? 'processing-time' : undefined,
    cleanupDomain: assigner.kind === 'global' ? undefined : assigner.eventTime ? 'event-time' : 'processing-time',
  };
}
