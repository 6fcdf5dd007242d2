import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grpc } from '@weir/protocol';
import { SavepointLocations } from './savepoint-locations.ts';

describe('SavepointLocations', () => {
  const locations = new SavepointLocations('/data/checkpoints', ['/backups/savepoints', 's3://archive/savepoints']);

  it('accepts locations under the checkpoint dir, the working directory and the configured roots', () => {
    expect(locations.resolve('directory', '/data/checkpoints/sp')).toBe('/data/checkpoints/sp');
    expect(locations.resolve('directory', 'savepoints/one')).toBe(join(process.cwd(), 'savepoints/one'));
    expect(locations.resolve('directory', '/backups/savepoints')).toBe('/backups/savepoints');
    expect(locations.resolve('directory', 's3://archive/savepoints/daily')).toBe('s3://archive/savepoints/daily');
  });

  it('refuses traversal, other places and malformed locations with INVALID_ARGUMENT naming the field', () => {
    const refused = (raw: string): Error & { code?: number } => {
      try {
        locations.resolve('directory', raw);
      } catch (error) {
        return error as Error & { code?: number };
      }
      throw new Error(`${raw} was accepted`);
    };
    expect(refused('/data/checkpoints/../../etc')).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, message: expect.stringMatching(/^directory ".*" has a '\.\.' segment/) });
    expect(refused('/etc/weir').message).toMatch(/is outside the savepoint roots \(\/data\/checkpoints, .*\/backups\/savepoints, s3:\/\/archive\/savepoints\).*WEIR_SAVEPOINT_ROOTS/);
    expect(refused('/backups/savepoints-evil').message).toMatch(/outside the savepoint roots/);
    expect(refused('s3://other-bucket/x').message).toMatch(/outside the savepoint roots/);
    expect(refused('s3://A/x').message).toMatch(/is not a valid location: .*valid S3 bucket/);
    expect(refused('').message).toMatch(/is empty/);
    expect(refused('/data/checkpoints/a\u0000b').message).toMatch(/control character/);
  });

  it('takes the whole bucket of s3:// checkpoint storage as a root', () => {
    const s3 = new SavepointLocations('s3://bucket/checkpoints', [], '/srv');
    expect(s3.resolve('from_savepoint', 's3://bucket/savepoints/sp-1')).toBe('s3://bucket/savepoints/sp-1');
    expect(() => s3.resolve('from_savepoint', 's3://bucket2/savepoints')).toThrow(/from_savepoint .* outside the savepoint roots/);
  });
});
