/**
 * A copy of a stored state value for a user function that may change it in
 * place (an aggregate function's `add`, a reduce function), so the stored
 * value, which a heap-backend snapshot in progress may share, stays as it
 * was. Primitives are returned as they are.
 */
export function privateCopy<T>(value: T): T {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}
