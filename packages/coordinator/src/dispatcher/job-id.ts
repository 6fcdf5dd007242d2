// Job ids: 32 lower-case hex digits (the client's submission id, or random).
// A request naming anything else is refused before the id reaches a map
// lookup or a storage path.
import { grpc } from '@weir/protocol';

const JOB_ID = /^[0-9a-f]{32}$/;

/** Whether `value` has the form of a job id. */
export function isJobId(value: string): boolean {
  return JOB_ID.test(value);
}

/** `value` if it has the form of a job id; otherwise throws INVALID_ARGUMENT naming `field`. */
export function requireJobId(field: string, value: string): string {
  if (isJobId(value)) return value;
  throw Object.assign(new Error(`${field} ${JSON.stringify(value.slice(0, 100))} is not a job id (32 hex digits): 'weir list' shows the jobs`), { code: grpc.status.INVALID_ARGUMENT });
}
