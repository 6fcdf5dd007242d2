// The REST API with etcd: the leader's overview names the coordinators, and a
// standby answers 503 naming the leader (it does not forward).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHaCluster, type HaCluster } from './helpers/etcd-cluster.ts';
import { rest } from './helpers/rest.ts';

let cluster: HaCluster;

beforeAll(async () => {
  cluster = await startHaCluster({ coordinators: 2, workers: 1, slots: 2 });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('the REST API with a standby', () => {
  it('answers on the leader, and on the standby 503 with the leader', async () => {
    const leader = await cluster.leader();
    const standby = cluster.coordinators.find((c) => c !== leader)!;
    expect(leader.restUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const overview = await rest<{ leadership: { clusterId: string; leader: { address: string }; standbys: { address: string }[] } }>(`${leader.restUrl}/overview`);
    expect(overview.status).toBe(200);
    expect(overview.body.leadership.clusterId).toBe(cluster.clusterId);
    expect(overview.body.leadership.leader.address).toBe(leader.address);
    expect(overview.body.leadership.standbys.map((s) => s.address)).toEqual([standby.address]);

    for (const path of ['/overview', '/jobs', '/workers', '/jobs/any']) {
      const answer = await rest<{ errors: string[]; leader: string }>(`${standby.restUrl}${path}`);
      expect(answer.status, path).toBe(503);
      expect(answer.body.errors[0]).toBe(`coordinator ${standby.address} is a standby; the leader is at ${leader.address}`);
      expect(answer.body.leader).toBe(leader.address);
    }
  });
});
