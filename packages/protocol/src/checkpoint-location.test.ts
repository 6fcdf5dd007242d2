// Checkpoint locations on S3 and on a file system: the same layout of keys and directories, parsed back as written.
import { describe, expect, it } from 'vitest';
import { checkpointDirectoryName, CHECKPOINT_METADATA_FILE, keyedStateFileName, keyedStateFileStem, savepointDirectoryName } from './checkpoint-layout.ts';
import { formatS3Location, isS3Location, joinLocation, locationName, parseS3Location, resolveLocation } from './checkpoint-location.ts';

describe('checkpoint locations', () => {
  it('lays out a checkpoint on S3 as keys under the prefix, as on a file system', () => {
    const job = joinLocation('s3://bucket/weir/checkpoints', '0123456789abcdef');
    const checkpoint = joinLocation(job, checkpointDirectoryName(7));
    expect(checkpoint).toBe('s3://bucket/weir/checkpoints/0123456789abcdef/chk-7');
    expect(joinLocation(checkpoint, CHECKPOINT_METADATA_FILE)).toBe('s3://bucket/weir/checkpoints/0123456789abcdef/chk-7/_metadata');
    expect(parseS3Location(joinLocation(checkpoint, keyedStateFileName(keyedStateFileStem('count/1', 0))))).toEqual({
      bucket: 'bucket',
      key: 'weir/checkpoints/0123456789abcdef/chk-7/keyed-count_1-0.state',
    });
    expect(joinLocation('/var/weir', '0123', 'chk-7')).toBe('/var/weir/0123/chk-7');
  });

  it('names savepoints under an s3:// target like directories', () => {
    const savepoint = joinLocation('s3://bucket/sp/', savepointDirectoryName('abcdef0123', '00112233aabb'));
    expect(savepoint).toBe('s3://bucket/sp/savepoint-abcdef-00112233aabb');
    expect(locationName(savepoint)).toBe('savepoint-abcdef-00112233aabb');
  });

  it('normalizes prefixes: no empty parts, the bucket root has no key', () => {
    expect(parseS3Location('s3://bucket')).toEqual({ bucket: 'bucket', key: '' });
    expect(parseS3Location('s3://bucket//a/./b/')).toEqual({ bucket: 'bucket', key: 'a/b' });
    expect(joinLocation('s3://bucket', 'job')).toBe('s3://bucket/job');
    expect(formatS3Location({ bucket: 'bucket', key: '' })).toBe('s3://bucket');
    expect(resolveLocation('s3://bucket/a//b/')).toBe('s3://bucket/a/b');
    expect(resolveLocation('relative')).toMatch(/^\/.*\/relative$/);
    expect(isS3Location('/s3://x')).toBe(false);
  });

  it('refuses a location without a valid bucket or with ..', () => {
    expect(() => parseS3Location('s3:///prefix')).toThrow(/does not name a valid S3 bucket/);
    expect(() => parseS3Location('s3://Upper/prefix')).toThrow(/s3:\/\/bucket\/prefix/);
    expect(() => parseS3Location('s3://bucket/a/../b')).toThrow(/'\.\.' is not allowed/);
  });
});
