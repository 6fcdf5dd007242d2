// Where checkpoints and savepoints live: a local (or shared) directory, or an
// S3 prefix written `s3://bucket/prefix`. Joining, naming and resolving such
// locations without losing the scheme (node:path would fold `s3://` to `s3:/`).
import { basename, join, resolve } from 'node:path';

/** The URI scheme of checkpoint storage on S3-compatible object storage. */
export const S3_SCHEME = 's3://';

/** A bucket and key prefix (no leading or trailing slash; empty for the bucket's root). */
export interface S3Location {
  bucket: string;
  key: string;
}

/** Whether `location` names S3-compatible object storage (`s3://bucket/prefix`). */
export function isS3Location(location: string): boolean {
  return location.startsWith(S3_SCHEME);
}

/** The bucket and key of an `s3://bucket/key` location; throws naming the location when it has no bucket. */
export function parseS3Location(location: string): S3Location {
  if (!isS3Location(location)) throw new Error(`${location} is not an s3://bucket/prefix location`);
  const rest = location.slice(S3_SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1).split('/').filter((part) => part !== '' && part !== '.').join('/');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new Error(`${location} does not name a valid S3 bucket (3-63 lower-case letters, digits, dots or hyphens): write s3://bucket/prefix`);
  }
  if (key.split('/').includes('..')) throw new Error(`${location}: '..' is not allowed in an S3 key`);
  return { bucket, key };
}

/** `s3://bucket/key` of a bucket and key. */
export function formatS3Location(location: S3Location): string {
  return location.key === '' ? `${S3_SCHEME}${location.bucket}` : `${S3_SCHEME}${location.bucket}/${location.key}`;
}

/** `base` joined with `names`: a file-system path, or an S3 location with its key extended. */
export function joinLocation(base: string, ...names: string[]): string {
  if (!isS3Location(base)) return join(base, ...names);
  const { bucket, key } = parseS3Location(base);
  const parts = [key, ...names.flatMap((name) => name.split('/'))].filter((part) => part !== '');
  return formatS3Location({ bucket, key: parts.join('/') });
}

/** The last name of a location (`chk-3` of `s3://b/job/chk-3`). */
export function locationName(location: string): string {
  if (!isS3Location(location)) return basename(location);
  const { bucket, key } = parseS3Location(location);
  return key === '' ? bucket : key.slice(key.lastIndexOf('/') + 1);
}

/** An absolute location: relative paths resolve against the working directory; S3 locations stay as they are (normalized). */
export function resolveLocation(location: string): string {
  return isS3Location(location) ? formatS3Location(parseS3Location(location)) : resolve(location);
}
