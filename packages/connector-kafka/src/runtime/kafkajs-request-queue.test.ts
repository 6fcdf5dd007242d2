import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installRequestQueueFix } from './kafkajs-request-queue.ts';

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: object };

/** A RequestQueue with only the fields the pending check reads. */
function queue(pending: unknown[], throttledUntil = -1): { pending: unknown[]; throttledUntil: number; throttleCheckTimeoutId: NodeJS.Timeout | null; checkPendingRequests: () => void; scheduleCheckPendingRequests(): void } {
  const q = Object.create(RequestQueue.prototype) as ReturnType<typeof queue>;
  Object.assign(q, { pending, throttledUntil, throttleCheckTimeoutId: null });
  q.checkPendingRequests = vi.fn();
  return q;
}

describe('the mended kafkajs RequestQueue timer', () => {
  afterEach(() => vi.useRealTimers());

  it('arms no timer while nothing is pending and nothing is throttled', () => {
    installRequestQueueFix();
    const q = queue([]);
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('checks waiting requests after 10 ms, or when a throttle ends', () => {
    vi.useFakeTimers();
    installRequestQueueFix();
    const waiting = queue([{}]);
    waiting.scheduleCheckPendingRequests();
    vi.advanceTimersByTime(9);
    expect(waiting.checkPendingRequests).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(waiting.checkPendingRequests).toHaveBeenCalledTimes(1);

    const throttled = queue([], Date.now() + 50);
    throttled.scheduleCheckPendingRequests();
    vi.advanceTimersByTime(49);
    expect(throttled.checkPendingRequests).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(throttled.checkPendingRequests).toHaveBeenCalledTimes(1);
  });
});
