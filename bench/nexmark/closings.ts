// Closed auctions applied in event-time order (q4, q6): a keyed stage buffers
// the closings that reach it and registers a timer at each expiry; when a
// timer fires, the due closings come out sorted by expiry, then auction id, so
// every run applies them in the same order whatever order they arrived in.
import type { KeyedProcessContext, ListState } from '@weir/sdk';

/** What the ordering needs of a closing. */
export interface Closing {
  auction: number;
  expires: number;
}

/** Buffers a closing until the watermark passes its expiry. */
export function bufferClosing<C extends Closing>(pending: ListState<C>, closing: C, ctx: KeyedProcessContext<unknown>): void {
  pending.add(closing);
  ctx.timerService().registerEventTimeTimer(closing.expires);
}

/** Takes the closings with expires <= timestamp out of `pending`, in order of expiry, then auction id. */
export function dueClosings<C extends Closing>(pending: ListState<C>, timestamp: number): C[] {
  const all = pending.get();
  const due = all.filter((c) => c.expires <= timestamp).sort((a, b) => a.expires - b.expires || a.auction - b.auction);
  if (due.length > 0) pending.update(all.filter((c) => c.expires > timestamp));
  return due;
}
