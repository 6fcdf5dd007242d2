/** Delay before retry number `attempt` (0-based) of an exponential backoff. */
export function backoffDelayMs(attempt: number, initialMs: number, maxMs: number, multiplier = 2): number {
  return Math.min(maxMs, initialMs * multiplier ** attempt);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
