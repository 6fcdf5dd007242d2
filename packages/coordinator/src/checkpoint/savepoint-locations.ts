// Where a client may ask for a savepoint to be written, or a job to be
// restored from: locations confined to the roots the operator configured.
// A request naming any other place (`..`, an absolute path elsewhere, another
// bucket) is refused with INVALID_ARGUMENT naming the field and the roots.
import { sep } from 'node:path';
import { formatS3Location, grpc, isS3Location, parseS3Location, resolveLocation } from '@weir/protocol';

/** Longest location a request may name. */
const MAX_LOCATION_LENGTH = 4096;

/**
 * The roots savepoints may be written under and restores read from: the
 * checkpoint storage (for `s3://` storage, its whole bucket), the
 * coordinator's working directory (where relative paths resolve), and
 * `coordinator.savepointRoots` (`WEIR_SAVEPOINT_ROOTS`).
 */
export class SavepointLocations {
  readonly roots: readonly string[];

  constructor(checkpointDir: string, configuredRoots: readonly string[], workingDir = process.cwd()) {
    const checkpointRoot = isS3Location(checkpointDir) ? formatS3Location({ bucket: parseS3Location(checkpointDir).bucket, key: '' }) : checkpointDir;
    this.roots = [...new Set([checkpointRoot, resolveLocation(workingDir), ...configuredRoots.map((root) => resolveLocation(root))])];
  }

  /**
   * The absolute location `raw` names, if it is a well-formed location under
   * one of the roots; otherwise throws an INVALID_ARGUMENT error naming
   * `field`, the problem and the way out.
   */
  resolve(field: string, raw: string): string {
    const refuse = (problem: string): never => {
      throw Object.assign(new Error(`${field} ${JSON.stringify(raw.slice(0, 200))} ${problem}`), { code: grpc.status.INVALID_ARGUMENT });
    };
    if (raw.length === 0) refuse('is empty: name a directory (a path or s3://bucket/prefix)');
    if (raw.length > MAX_LOCATION_LENGTH) refuse(`is longer than ${MAX_LOCATION_LENGTH} characters`);
    if (/[\u0000-\u001f]/.test(raw)) refuse('has a control character');
    if (raw.split(/[/\\]/).includes('..')) refuse("has a '..' segment: name the directory without it");
    let location: string;
    try {
      location = resolveLocation(raw);
    } catch (error) {
      return refuse(`is not a valid location: ${(error as Error).message}`);
    }
    if (!this.roots.some((root) => within(location, root))) {
      refuse(`is outside the savepoint roots (${this.roots.join(', ')}): use a directory under one of them, or add its root to coordinator.savepointRoots (WEIR_SAVEPOINT_ROOTS)`);
    }
    return location;
  }
}

/** Whether `location` is `root` or inside it (paths by segment, S3 by key prefix). */
function within(location: string, root: string): boolean {
  if (isS3Location(root) !== isS3Location(location)) return false;
  const separator = isS3Location(root) ? '/' : sep;
  const base = root.endsWith(separator) ? root : root + separator;
  return location === root || location.startsWith(base);
}
