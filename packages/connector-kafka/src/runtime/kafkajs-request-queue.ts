// kafkajs 2.2.4's RequestQueue (one per broker connection) re-arms a timer
// after every check of its pending requests, even when nothing is pending and
// nothing is throttled: its delay is then `throttledUntil - Date.now()` with
// `throttledUntil` at -1, a negative number that Node turns into 1 ms. Every
// open connection so wakes up a thousand times a second for nothing, and on
// Node 24 each of those timers prints a TimeoutNegativeWarning
// (https://github.com/tulios/kafkajs/issues/1751, unfixed upstream).
//
// This replaces that one method once per process: a check is scheduled only
// while requests wait (at the end of a throttle, else after the queue's usual
// 10 ms) or while the broker throttles; a request that has to wait schedules
// a check when it is queued, as before.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The fields of kafkajs' RequestQueue the check uses. */
interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' interval between checks while requests wait and no throttle says when. */
const CHECK_PENDING_INTERVAL_MS = 10;

let installed = false;

function scheduleCheckPendingRequests(this: RequestQueue): void {
  if (this.throttleCheckTimeoutId) return;
  const throttledForMs = this.throttledUntil - Date.now();
  if (this.pending.length === 0 && throttledForMs <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    throttledForMs > 0 ? throttledForMs : CHECK_PENDING_INTERVAL_MS,
  );
}

/** Replaces kafkajs' RequestQueue.scheduleCheckPendingRequests (see above); idempotent. */
export function installRequestQueueFix(): void {
  if (installed) return;
  installed = true;
  const RequestQueueClass = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };
  if (typeof RequestQueueClass.prototype?.scheduleCheckPendingRequests !== 'function') {
    throw new Error('kafkajs RequestQueue has no scheduleCheckPendingRequests: the installed kafkajs is not the 2.2.x this connector supports; install kafkajs@2.2.4');
  }
  RequestQueueClass.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
}
