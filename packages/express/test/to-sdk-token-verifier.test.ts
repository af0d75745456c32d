import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import { alterTokenPayload, createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import express from 'express';
import request from 'supertest';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { type AccessTokenVerifier, createJwtVerifier, McpAuthError } from '../src/index.js';
import { toSdkTokenVerifier } from '../src/sdk.js';

const RESOURCE = 'https://mcp.example/mcp';
const PRM_URL = 'https://mcp.example/.well-known/oauth-protected-resource/mcp';

let issuer: TestIssuer;
let good: string;
beforeAll(async () => {
  issuer = await createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
  good = await issuer.mintAccessToken();
});

/** An Express app guarded by the SDK's own `requireBearerAuth`. */
function sdkApp(verifier: OAuthTokenVerifier) {
  const app = express();
  app.post(
    '/mcp',
    requireBearerAuth({ verifier, resourceMetadataUrl: PRM_URL }),
    (req, res) => void res.json({ sub: req.auth?.extra?.sub, scopes: req.auth?.scopes }),
  );
  return app;
}

const rejecting = (error: unknown): AccessTokenVerifier => ({
  verifyAccessToken: () => Promise.reject(error),
});

describe("toSdkTokenVerifier with the MCP SDK's requireBearerAuth", () => {
  const jwt = () =>
    createJwtVerifier({ issuer: issuer.issuer, resource: RESOURCE, fetch: issuer.fetch });

  it('is an OAuthTokenVerifier', () => {
    expectTypeOf(toSdkTokenVerifier(jwt())).toEqualTypeOf<OAuthTokenVerifier>();
  });

  it('lets a good token through with its AuthInfo on req.auth (200)', async () => {
    const res = await request(sdkApp(toSdkTokenVerifier(jwt())))
      .post('/mcp')
      .set('Authorization', `Bearer ${good}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'user-123', scopes: ['todo:read'] });
  });

  it("answers a bad token with 401 and the SDK's invalid_token challenge", async () => {
    const forged = alterTokenPayload(good, { scope: 'todo:read todo:write' });
    const res = await request(sdkApp(toSdkTokenVerifier(jwt())))
      .post('/mcp')
      .set('Authorization', `Bearer ${forged}`);
    expect(res.status).toBe(401);
    const description: string = res.body.error_description;
    expect(res.body).toEqual({ error: 'invalid_token', error_description: description });
    expect(description).not.toContain(forged);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer error="invalid_token", error_description="${description}", resource_metadata="${PRM_URL}"`,
    );
  });

  it('is needed: our verifier alone turns a bad token into a 500 there', async () => {
    const res = await request(sdkApp(jwt())).post('/mcp').set('Authorization', 'Bearer abc');
    expect(res.status).toBe(500);
  });

  it('maps an authorization-server outage to the SDK ServerError (500: it cannot send 503)', async () => {
    const down = await createTestIssuer({ audience: RESOURCE });
    down.setOutage('status');
    const token = await down.mintAccessToken();
    const verifier = createJwtVerifier({
      issuer: down.issuer,
      resource: RESOURCE,
      fetch: down.fetch,
    });
    const res = await request(sdkApp(toSdkTokenVerifier(verifier)))
      .post('/mcp')
      .set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(500);
    expect(res.body.error).toBe('server_error');
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('maps each error to the SDK class, with a safe message', async () => {
    const thrown = (error: unknown) =>
      toSdkTokenVerifier(rejecting(error))
        .verifyAccessToken('t')
        .then(
          () => undefined,
          (e: unknown) => e as Error & { errorCode: string },
        );
    const invalid = await thrown(new McpAuthError('invalid_token', 'token has expired'));
    expect(invalid).toBeInstanceOf(InvalidTokenError);
    expect(invalid?.message).toBe('token has expired');
    for (const code of ['jwks_unavailable', 'authorization_server_unavailable'] as const) {
      const server = await thrown(new McpAuthError(code, 'keys unavailable'));
      expect(server).toBeInstanceOf(ServerError);
    }
    expect((await thrown(new McpAuthError('insufficient_scope', 'x')))?.errorCode).toBe(
      'insufficient_scope',
    );
    expect(await thrown(new McpAuthError('invalid_request', 'bad'))).toBeInstanceOf(
      InvalidTokenError,
    );
    // Not ours: nothing of it is sent.
    const unknown = await thrown(new Error('ECONNREFUSED /etc/secret at x.js:1'));
    expect(unknown).toBeInstanceOf(InvalidTokenError);
    expect(unknown?.message).toBe('The access token is invalid');
    // The SDK puts the message into WWW-Authenticate unescaped.
    const quoted = await thrown(new McpAuthError('invalid_token', 'typ "JWT" \\ not accepted'));
    expect(quoted?.message).toBe('typ JWT  not accepted');
  });
});
