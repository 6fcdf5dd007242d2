// What an operator does when its user function throws while processing a
// record (`.onError(...)` in the SDK; the `onError` key of the operator's config).

/** `fail`: the task fails and the restart strategy applies; `dead-letter`: the record and the error go to the dead-letter output, processing goes on. */
export const ON_ERROR_POLICIES = ['fail', 'dead-letter'] as const;
/** One of {@link ON_ERROR_POLICIES}. */
export type OnErrorPolicy = (typeof ON_ERROR_POLICIES)[number];
