import { describe, expect, it } from 'vitest';
import { createLogger } from '@weir/protocol';
import { ClientAuthorization } from './client-authorization.ts';
import { grpcRequirement, restRequirement, roleAllows } from './roles.ts';
import { parseTokens } from './token-store.ts';

const TOKENS = ['# role name token', 'viewer alice aaaaaaaaaaaaaaaaaaaaaaaa', '', 'operator bob bbbbbbbbbbbbbbbbbbbbbbbb', 'submitter ci cccccccccccccccccccccccc'].join('\n');

describe('tokens file', () => {
  it('maps each token to its name and role, and knows no other token', () => {
    const store = parseTokens(TOKENS, 'tokens');
    expect(store.size).toBe(3);
    expect(store.identify('aaaaaaaaaaaaaaaaaaaaaaaa')).toEqual({ name: 'alice', role: 'viewer' });
    expect(store.identify('cccccccccccccccccccccccc')).toEqual({ name: 'ci', role: 'submitter' });
    expect(store.identify('aaaaaaaaaaaaaaaaaaaaaaa')).toBeUndefined();
    expect(store.identify('')).toBeUndefined();
  });

  it('names the line of a bad entry and the way out', () => {
    expect(() => parseTokens('admin root dddddddddddddddddddddddd', 'tokens')).toThrow("tokens line 1: unknown role 'admin': use one of viewer, operator, submitter");
    expect(() => parseTokens('viewer alice short', 'tokens')).toThrow("tokens line 1: the token of 'alice' is shorter than 16 characters");
    expect(() => parseTokens('\nviewer aaaaaaaaaaaaaaaaaaaa', 'tokens')).toThrow("tokens line 2: expected '<role> <name> <token>'");
    expect(() => parseTokens('# none\n', 'tokens')).toThrow('tokens holds no token');
  });
});

describe('roles', () => {
  it('rank viewer < operator < submitter', () => {
    expect(roleAllows('submitter', 'operator')).toBe(true);
    expect(roleAllows('operator', 'viewer')).toBe(true);
    expect(roleAllows('viewer', 'operator')).toBe(false);
    expect(roleAllows('operator', 'submitter')).toBe(false);
  });

  it('say what each call needs', () => {
    expect(grpcRequirement('/weir.v1.JobManager/ListJobs')).toBe('viewer');
    expect(grpcRequirement('/weir.v1.JobManager/CancelJob')).toBe('operator');
    expect(grpcRequirement('/weir.v1.JobManager/SubmitJob')).toBe('submitter');
    expect(grpcRequirement('/weir.v1.JobManager/WorkerSession')).toBe('member');
    expect(grpcRequirement('/weir.v1.JobManager/NoSuchMethod')).toBe('member');
    expect(grpcRequirement('/grpc.health.v1.Health/Check')).toBe('open');
    expect(restRequirement('GET')).toBe('viewer');
    expect(restRequirement('PATCH')).toBe('operator');
  });
});

describe('client authorization', () => {
  const authorization = new ClientAuthorization(parseTokens(TOKENS, 'tokens'), createLogger('test'));
  const caller = (authorizationHeader?: string, member = false) => ({ authorization: authorizationHeader, member, peer: 'test' });

  it('allows a role its calls and refuses the rest with the reason', () => {
    expect(authorization.decide('viewer', caller('Bearer aaaaaaaaaaaaaaaaaaaaaaaa'), 'ListJobs')).toEqual({ allowed: true });
    expect(authorization.decide('operator', caller('Bearer aaaaaaaaaaaaaaaaaaaaaaaa'), 'CancelJob')).toEqual({
      allowed: false,
      reason: 'denied',
      message: "CancelJob needs role operator, and the token of 'alice' has role viewer: use a token of role operator or above",
    });
    expect(authorization.decide('viewer', caller(), 'ListJobs')).toMatchObject({ allowed: false, reason: 'unauthenticated' });
    expect(authorization.decide('viewer', caller('Bearer zzzzzzzzzzzzzzzzzzzzzzzz'), 'ListJobs')).toMatchObject({ allowed: false, reason: 'unauthenticated' });
  });

  it('keeps the workers\' methods for members, whatever the token', () => {
    expect(authorization.decide('member', caller('Bearer cccccccccccccccccccccccc'), 'WorkerSession')).toMatchObject({ allowed: false, reason: 'denied' });
    expect(authorization.decide('member', caller(undefined, true), 'WorkerSession')).toEqual({ allowed: true });
  });
});
