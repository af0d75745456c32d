import { createMcpAuth } from '@org/mcp-auth-core';
import { hasRedisServer, startRedisServer, type TestRedis } from '@org/mcp-auth-conformance/redis';
import { createDpopKey, createTestIssuer } from '@org/mcp-auth-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../src/index.js';

const RESOURCE = 'https://mcp.example.com/mcp';
const BODY = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami' } };

describe.skipIf(!hasRedisServer && process.env.CI === undefined)(
  'DPoP replay across two instances sharing one real Redis',
  () => {
    let redis: TestRedis;
    const stores: RedisStore[] = [];

    beforeAll(async () => {
      redis = await startRedisServer();
    });
    afterAll(async () => {
      await Promise.all(stores.map((store) => store.close()));
      await redis?.stop();
    });

    it('a proof accepted by the first instance is refused by the second', async () => {
      const issuer = await createTestIssuer({
        issuer: 'https://auth.example.com',
        audience: RESOURCE,
      });
      const key = await createDpopKey('ES256');
      const instance = () => {
        const store = createRedisStore({ url: redis.url });
        stores.push(store);
        return createMcpAuth({
          resource: RESOURCE,
          issuer: issuer.issuer,
          jwt: { fetch: issuer.fetch },
          dpop: { mode: 'required' },
          store,
          sessionBinding: false,
        });
      };
      const [a, b] = [instance(), instance()];
      const token = await issuer.mintAccessToken({ claims: { cnf: { jkt: key.jkt } } });
      const proof = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
      const request = {
        method: 'POST',
        url: '/mcp',
        headers: {
          authorization: `DPoP ${token}`,
          dpop: proof,
          'content-type': 'application/json',
        },
        body: BODY,
      };
      expect((await a.authorize(request)).type).toBe('allow');
      const replayed = await b.authorize(request);
      if (replayed.type !== 'deny') throw new Error('the replayed proof was accepted');
      expect(replayed.status).toBe(401);
      expect(replayed.body).toEqual({
        error: 'invalid_dpop_proof',
        error_description: 'DPoP proof has already been used',
      });
      // A fresh proof from the same key is fine on either instance.
      const fresh = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
      expect(
        (await b.authorize({ ...request, headers: { ...request.headers, dpop: fresh } })).type,
      ).toBe('allow');
      // Redis unreachable: the replay check cannot be made, so the request is refused (503).
      redis.pause();
      try {
        const next = await key.proof({ method: 'POST', url: RESOURCE, accessToken: token });
        const refused = await a.authorize({
          ...request,
          headers: { ...request.headers, dpop: next },
        });
        expect(refused).toMatchObject({ type: 'deny', status: 503 });
      } finally {
        redis.resume();
      }
    });
  },
);
